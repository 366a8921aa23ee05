// The auth log on the live daemon, written by the real rsyslog: the unprivileged agent tries sudo
// with wrong passwords (real sudo, real PAM), and an ssh root login line arrives through rsyslog
// (logger stands in for sshd: no ssh server runs in the tests).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandExists, IS_ROOT, runAsUser } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

const live = IS_ROOT && commandExists("rsyslogd") && commandExists("sudo") && commandExists("logger");

describe.skipIf(!live)("auth log on the live daemon (real rsyslog, real sudo)", () => {
  let d: DaemonUnderTest;
  // A Sigma builtin rule of clawav's own on the same lines (service sudo: the program's lines).
  const sigma = mkdtempSync(join(tmpdir(), "clawav-sigma-log-"));
  beforeAll(async () => {
    writeFileSync(join(sigma, "sudo_not_in_sudoers.yml"), "title: sudo refused a user not in sudoers\nlogsource:\n  product: linux\n  service: sudo\ndetection:\n  keywords:\n    - 'user NOT in sudoers'\n  condition: keywords\nlevel: high\ntags:\n  - attack.privilege-escalation\n  - attack.t1548.003\n");
    d = DaemonUnderTest.withTempState([], `[syslog]\nenabled = true\n[sigma]\ndirs = ["${sigma}"]\n`);
    await d.start();
  });
  afterAll(async () => {
    expect((await d?.stop())?.code).toBe(0);
    rmSync(sigma, { recursive: true, force: true });
  });

  it("the agent's failed sudo: a PRIV_ESC warning naming the user and the command", async () => {
    const m = `/usr/bin/true sudo-${Date.now()}`;
    const r = await runAsUser("bash", ["-c", `printf 'wrong\\nwrong\\nwrong\\n' | sudo -S ${m}`]);
    expect(r.code).not.toBe(0);
    const a = await d.waitAlert("the refused sudo", (x) => x.rule === "auth.sudo-refused" && x.summary.includes(m), 20_000);
    expect(a).toMatchObject({ severity: "warning", category: "PRIV_ESC", engine: "auth" });
    expect(a.summary).toMatch(/clawavtest : (user NOT in sudoers|3 incorrect password attempts)/);
    expect(a.event.log).toMatchObject({ log: "auth", program: "sudo" });
    const s = await d.waitAlert("the Sigma builtin rule", (x) => x.rule === "sigma/sudo_not_in_sudoers" && x.summary.includes(m), 20_000);
    expect(s).toMatchObject({ engine: "sigma", severity: "critical", category: "PRIV_ESC", mitre: ["T1548.003"] });
  });

  it("an ssh login as root, through rsyslog: a warning; the source is in /api/status", async () => {
    const port = 40000 + Math.floor(Math.random() * 20000);
    expect(spawnSync("logger", ["-p", "auth.info", "-t", "sshd", "-i", `Accepted publickey for root from 192.0.2.9 port ${port} ssh2`]).status).toBe(0);
    const a = await d.waitAlert("the root login", (x) => x.rule === "auth.ssh-root-login" && x.summary.includes(`port ${port}`));
    expect(a.mitre).toContain("T1078.003");
    const st = await d.api<{ sources: { name: string; state: string; events: number }[] }>("/api/status");
    expect(st.sources.find((s) => s.name === "syslog")).toMatchObject({ state: "running" });
    expect(st.sources.find((s) => s.name === "syslog")!.events).toBeGreaterThan(0);
  });
});
