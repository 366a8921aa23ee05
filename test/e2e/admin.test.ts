// The admin socket on the live daemon: the key shown once at the first start works through
// `clawav admin` (read from a file descriptor, never argv); a pause keeps alerts from the webhook
// but not from the chain and the API, and ends by itself; three wrong keys from the unprivileged
// test user lock that user out (a critical alert) while root goes on.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { ANSWERS, Receiver } from "../helpers/receivers.js";
import { auditdUsable, CLI, run, runAsUser, waitFor } from "../helpers/system.js";

describe.skipIf(!auditdUsable())("the admin socket (live daemon)", () => {
  const rx = new Receiver(ANSWERS.webhook);
  let d: DaemonUnderTest;
  let key = "";
  // A folder other users may enter: the socket itself (0666 here) is what they reach; the key decides.
  const dir = mkdtempSync(join(tmpdir(), "clawav-admin-"));
  const sock = join(dir, "run", "admin.sock");
  const keyFile = join(dir, "key");
  const cfg = join(dir, "admin.toml");
  const admin = (args: string[], asUser = false, file = keyFile) => {
    const cmd = `exec ${process.execPath} ${CLI} admin --config ${cfg} --key-fd 3 ${args.join(" ")} 3<${file}`;
    return asUser ? runAsUser("bash", ["-c", cmd]) : run("bash", ["-c", cmd]);
  };
  beforeAll(async () => {
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, "run"), { mode: 0o755 });
    await rx.start();
    d = DaemonUnderTest.withTempState(["--alert-enabled", "--alert-webhook-url", rx.url("/hook"), "--alert-min-severity", "warning"], `[admin]\nsocket = "${sock}"\nsocket_mode = "0666"\n`);
    await d.start();
    key = /OCAV-[0-9a-f]{64}/.exec(d.stderr)?.[0] ?? "";
    writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
    writeFileSync(cfg, `[admin]\nsocket = "${sock}"\n`, { mode: 0o644 });
  }, 30_000);
  afterAll(async () => {
    if (d) expect((await d.stop()).code).toBe(0);
    await rx.stop();
  });

  it("the key is shown once at the first start, and only its hash is kept", () => {
    expect(key).toMatch(/^OCAV-[0-9a-f]{64}$/);
    expect(d.stderr.match(/OCAV-[0-9a-f]{64}/g)).toHaveLength(1);
    expect(readFileSync(join(d.stateDir, "admin-key.hash"), "utf8")).not.toContain(key.slice(5));
    expect(JSON.stringify(d.logs)).not.toContain(key);
  });

  it("status with the key from a file descriptor; a key on the command line is refused", async () => {
    const r = await admin(["status"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: "monitor", paused_until: null });
    const argv = await run(process.execPath, [CLI, "admin", "--config", cfg, "status", key]);
    expect(argv.code).toBe(64);
    expect(argv.stdout).not.toContain(key);
  });

  it("a pause keeps alerts from the webhook, not from the chain; both ends are critical alerts and it ends by itself", async () => {
    const p = await admin(["pause", "3s"]);
    expect(p.code, p.stderr).toBe(0);
    const paused = await d.waitAlert("the pause alert", (x) => x.rule === "admin-paused");
    expect(paused.severity).toBe("critical");
    await waitFor("the pause pushed", () => rx.got.find((g) => (g.body as { rule?: string }).rule === "admin-paused"));
    const m = `paused-${Date.now()}`;
    await runAsUser("bash", ["-c", `echo ZWNobyBoaQo= | base64 -d | sh # ${m}`]);
    const a = await d.waitAlert("the alert while paused", (x) => x.rule === "code.decode-exec" && JSON.stringify(x.event.process?.argv).includes(m));
    const resumed = await d.waitAlert("the resume", (x) => x.rule === "admin-resumed", 15_000);
    expect(resumed.summary).toMatch(/the pause ran out/);
    expect(rx.got.find((g) => (g.body as { event_id?: string }).event_id === a.event_id)).toBeUndefined();
    const chain = readFileSync(join(d.stateDir, "audit.chain"), "utf8");
    expect(chain).toContain(a.event_id);
    expect(chain).toContain('"type":"admin_pause"');
    expect(chain).toContain('"type":"admin_resume"');
    const too = await admin(["pause", "31m"]);
    expect([too.code, too.stderr]).toEqual([1, "clawav: pause: want a duration up to 30 minutes (e.g. 10m, 90s)\n"]);
  }, 40_000);

  it("config-update: a wrong file is refused with file:line: key and nothing changes; a right one is written and its policies judge at once", async () => {
    const daemonCfg = join(d.stateDir, "..", "config.toml");
    const before = readFileSync(daemonCfg, "utf8");
    const bad = join(dir, "bad.toml");
    writeFileSync(bad, `${before}\n[policy]\ndirz = ["/x"]\n`);
    const refused = await admin(["config-update", bad]);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toMatch(new RegExp(`^clawav: config-update refused:\\n${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+: policy\\.dirz: unknown key`));
    expect(readFileSync(daemonCfg, "utf8")).toBe(before);
    const pol = join(dir, "policies");
    mkdirSync(pol, { mode: 0o755 });
    writeFileSync(join(pol, "extra.yaml"), `rules:\n  - name: came-with-config-update\n    description: "tac run by an agent"\n    match: { command: [tac] }\n    action: warning\n    category: RECON\n`);
    const good = join(dir, "good.toml");
    const text = `${before}\n[policy]\ndirs = ["${pol}"]\n`;
    writeFileSync(good, text);
    const ok = await admin(["config-update", good]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ written: daemonCfg, applied_now: ["policy"], after_restart: [] });
    expect(readFileSync(daemonCfg, "utf8")).toBe(text);
    expect(statSync(daemonCfg).mode & 0o777).toBe(0o600);
    await d.waitAlert("the update's alert", (x) => x.rule === "admin-config-updated");
    const m = `cfg-${Date.now()}`;
    await runAsUser("bash", ["-c", `echo x | tac >/dev/null # ${m}`]);
    await d.waitAlert("the new policy's alert", (x) => x.rule === "came-with-config-update");
    expect(readFileSync(join(d.stateDir, "audit.chain"), "utf8")).toContain('"type":"config_update"');
  }, 40_000);

  it("three wrong keys lock the test user out for an hour (a critical alert); root is not locked out", async () => {
    const wrong = join(dir, "wrong");
    writeFileSync(wrong, `OCAV-${"0".repeat(64)}\n`, { mode: 0o644 });
    const right = join(dir, "right-for-user");
    writeFileSync(right, `${key}\n`, { mode: 0o644 });
    for (let i = 0; i < 3; i++) {
      const r = await admin(["status"], true, wrong);
      expect(r.code).toBe(77);
      expect(r.stderr).toMatch(i < 2 ? /^clawav: wrong key\n$/ : /^clawav: wrong key: locked out until /);
    }
    const locked = await admin(["status"], true, right);
    expect([locked.code, locked.stderr]).toEqual([77, expect.stringMatching(/locked out until .* after 3 wrong keys/)]);
    const w = await d.waitAlert("a wrong key's alert, before any lockout", (x) => x.rule === "admin-wrong-key");
    expect(w).toMatchObject({ severity: "critical", category: "SEC_TAMPER", mitre: ["T1110"] });
    expect(w.summary).toMatch(/gave a wrong admin key \(1 in a row\)$/);
    const a = await d.waitAlert("the lockout alert", (x) => x.rule === "admin-lockout");
    expect(a).toMatchObject({ severity: "critical", category: "SEC_TAMPER", mitre: ["T1110"] });
    expect(a.summary).toContain("uid:");
    expect((await admin(["status"])).code).toBe(0);
  }, 40_000);
});
