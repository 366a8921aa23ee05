// The tamper suite (issue 12): an agent that wants the watchdog gone or blind, run live against a
// root daemon and the real auditd. Each attempt is blocked or raises a critical alert, and what
// was recorded before stays recorded (verify-audit passes at the end).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { auditdUsable, IS_ROOT, runAsUser, runCli, sleep, waitFor } from "../helpers/system.js";
import { PACKAGE_ROOT } from "../../src/version.js";

const AUDIT_LOG = "/var/log/audit/audit.log";

function auditdPid(): number | undefined {
  const r = spawnSync("pidof", ["auditd"], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim().split(/\s+/)[0]) : undefined;
}

async function ensureAuditd(): Promise<void> {
  if (auditdPid() === undefined) spawnSync("auditd", [], { stdio: "ignore" });
  await waitFor("auditd to run and to hold the kernel's audit pid", () => (/^pid [1-9]/m.test(spawnSync("auditctl", ["-s"], { encoding: "utf8" }).stdout) && existsSync(AUDIT_LOG) ? true : undefined), 15_000);
}

describe.skipIf(!IS_ROOT || !auditdUsable())("tamper suite: the agent against its watchdog", () => {
  // A state folder named as installed ones are (/var/lib/clawav), so commands naming it read as such.
  const base = mkdtempSync(join(tmpdir(), "tamper-"));
  const cfgFile = join(base, "config.toml");
  writeFileSync(cfgFile, `[auditd]\nstatus_interval = 0.2\n\n[network]\ndns_servers = ["127.0.0.1:1"]\n\n[ebpf]\ndns_answers = false\nsyscalls = false\n`, { mode: 0o600 });
  const d = new DaemonUnderTest(join(base, "clawav"), ["--config", cfgFile]);
  beforeAll(async () => {
    await ensureAuditd();
    await d.start();
  }, 60_000);
  afterAll(async () => {
    spawnSync("auditctl", ["-e", "1"], { stdio: "ignore" });
    await ensureAuditd();
    if (d.pid !== undefined) await d.stop();
  });

  it("kill -9 of the daemon is refused by the kernel and raises a critical alert; the daemon goes on", async () => {
    const r = await runAsUser("/bin/kill", ["-9", String(d.pid)]);
    expect(r.code).not.toBe(0);
    const a = await d.waitAlert("the refused signal", (x) => x.rule === "tamper.signal-refused" || x.rule === "tamper.signal");
    expect(a).toMatchObject({ severity: "critical", category: "SEC_TAMPER" });
    expect(await d.api<{ status: string }>("/api/health")).toBeTruthy();
  });

  it("writing its config, state, chain, token or the preload library is refused by the kernel, and the attempt is a critical alert", async () => {
    const targets = [cfgFile, join(d.stateDir, "audit.chain"), join(d.stateDir, "api-token"), join(d.stateDir, "api.json"), join(PACKAGE_ROOT, "native", "preload", "build", "libclawguard.so")];
    for (const t of targets) {
      const before = readFileSync(t);
      const viaShell = await runAsUser("/bin/sh", ["-c", `echo pwned >> ${t}`]);
      const viaTee = await runAsUser("/usr/bin/tee", ["-a", t], { input: "pwned\n" });
      expect(viaShell.code, t).not.toBe(0);
      expect(viaTee.code, t).not.toBe(0);
      // The chain grows with the daemon's own alerts (which quote the attempt); verify-audit at the
      // end shows no line of it is the agent's. Every other file is as it was.
      if (!t.endsWith("audit.chain")) expect(readFileSync(t).equals(before), t).toBe(true);
    }
    expect(d.alerts.filter((x) => x.rule === "pipeline-stage-failed")).toEqual([]);
    for (const tool of ["sh", "tee"]) {
      const a = await d.waitAlert(`the ${tool} attempt on clawav's state`, (x) => x.rule === "tamper.watch-named" && x.severity === "critical" && x.summary.startsWith(`${tool} tries to change clawav's files`) && x.summary.includes(d.stateDir), 20_000);
      expect(a.category).toBe("SEC_TAMPER");
    }
  });

  it("auditctl -e 0 (as root): a critical alert, and clawav turns the kernel's audit back on", async () => {
    spawnSync("auditctl", ["-e", "0"], { stdio: "ignore" });
    try {
      const a = await d.waitAlert("audit disabled", (x) => x.rule === "sensor-audit-disabled");
      expect(a).toMatchObject({ severity: "critical", category: "SEC_TAMPER" });
      expect(a.summary).toContain("clawav turned it back on (auditctl -e 1)");
      // Not the test's doing: nothing here enables it before this point.
      await waitFor("the kernel's audit on again", () => (/^enabled 1$/m.test(spawnSync("auditctl", ["-s"], { encoding: "utf8" }).stdout) ? true : undefined), 10_000);
      const marker = `/tmp/clawav-tamper-after-enable-${process.pid}`;
      await runAsUser("/bin/cat", ["/etc/shadow", marker]);
      await d.waitEvent("an event after the audit was turned back on", (e) => e.process?.argv.includes(marker) === true, 20_000);
    } finally {
      spawnSync("auditctl", ["-e", "1"], { stdio: "ignore" });
    }
  });

  it("stopping auditd (as root): a critical alert; started again, events flow again", async () => {
    const pid = auditdPid();
    expect(pid).toBeDefined();
    process.kill(pid!, "SIGTERM");
    try {
      const a = await d.waitAlert("auditd stopped", (x) => x.rule === "sensor-auditd-stopped", 20_000);
      expect(a.severity).toBe("critical");
    } finally {
      await ensureAuditd();
    }
    const marker = `/tmp/clawav-tamper-after-restart-${process.pid}`;
    await sleep(500);
    await runAsUser("/bin/cat", ["/etc/shadow", marker]);
    await d.waitEvent("an event after auditd's restart", (e) => e.process?.argv.includes(marker) === true, 20_000);
  });

  it("moving audit.log away (as root): a critical alert; after auditd reopens its log, events flow again", async () => {
    const moved = `${AUDIT_LOG}.clawav-tamper`;
    renameSync(AUDIT_LOG, moved);
    try {
      const a = await d.waitAlert("audit log missing", (x) => x.rule === "sensor-audit-log-missing");
      expect(a.severity).toBe("critical");
    } finally {
      // auditd's own rotation makes a new audit.log; the moved one goes (its records were read).
      process.kill(auditdPid()!, "SIGUSR1");
      await waitFor("a new audit.log", () => (existsSync(AUDIT_LOG) ? true : undefined), 10_000);
      rmSync(moved, { force: true });
    }
    const marker = `/tmp/clawav-tamper-after-move-${process.pid}`;
    await runAsUser("/bin/cat", ["/etc/shadow", marker]);
    await d.waitEvent("an event in the new log", (e) => e.process?.argv.includes(marker) === true, 20_000);
  });

  it("nothing recorded was lost: the chain verifies, and every alert shown is in it once", async () => {
    const shown = d.alerts.length;
    expect((await d.stop()).code).toBe(0);
    const v = await runCli(["verify-audit", join(d.stateDir, "audit.chain")]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const chain = readFileSync(join(d.stateDir, "audit.chain"), "utf8").split("\n").filter((l) => l.includes('"alert"'));
    expect(chain.length).toBeGreaterThanOrEqual(shown);
  });
});
