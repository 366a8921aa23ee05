import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditdUsable, sleep, TEST_USER, userIds } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

function policyDir(): string {
  const d = mkdtempSync(join(tmpdir(), "clawav-kill-pol-"));
  writeFileSync(join(d, "kill.yaml"), `rules:\n  - name: "kill-marked"\n    match:\n      command_contains: ["clawav-kill-me"]\n    action: info\n    category: EXECUTION\n    enforcement: kill\n`);
  return d;
}

function asUser(args: string[]) {
  const u = userIds(TEST_USER);
  const child = spawn("bash", args, { uid: u.uid, gid: u.gid, cwd: u.home, env: { PATH: "/usr/bin:/bin", HOME: u.home }, stdio: "ignore" });
  const exit = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_c, sig) => r(sig)));
  return { child, exit };
}

describe.skipIf(!auditdUsable())("enforce mode (real auditd, the agent an unprivileged user)", () => {
  it("kills a long-running process that matches a kill rule, and says how fast", async () => {
    const d = DaemonUnderTest.withTempState(["--mode", "enforce"], `[policy]\ndirs = ["${policyDir()}"]\n`);
    await d.start();
    try {
      const { exit } = asUser(["-c", "sleep 30; echo clawav-kill-me"]);
      expect(await exit).toBe("SIGKILL");
      const a = await d.waitAlert("the kill alert", (x) => x.rule === "kill-marked" && x.mitigation !== undefined);
      expect(a.severity).toBe("critical");
      expect(a.mitigation).toMatchObject({ action: "kill", ok: true });
      expect(a.mitigation!.latency_ms).toBeGreaterThanOrEqual(0);
      // A process already gone when clawav acts: a critical "mitigation failed". clawav is faster
      // than /bin/true exits, so it is paused while the process runs, exits and is reaped.
      const u = userIds(TEST_USER);
      d.signal("SIGSTOP");
      const fast = spawn("/bin/true", ["clawav-kill-me-fast"], { uid: u.uid, gid: u.gid, stdio: "ignore" });
      await new Promise((r) => fast.on("exit", r));
      d.signal("SIGCONT");
      const f = await d.waitAlert("mitigation failed", (x) => x.rule === "mitigation-failed").catch((e: Error) => {
        throw new Error(`${e.message}; alerts: ${JSON.stringify(d.alerts.map((x) => [x.rule, x.event.process?.argv, x.mitigation]))}`);
      });
      expect(f.severity).toBe("critical");
      expect(f.summary).toMatch(/already gone|reused/);
    } finally {
      expect((await d.stop()).code).toBe(0);
    }
  });

  it("in monitor mode kills nothing and reports the denial as a warning", async () => {
    const d = DaemonUnderTest.withTempState(["--mode", "monitor"], `[policy]\ndirs = ["${policyDir()}"]\n`);
    await d.start();
    try {
      const { child, exit } = asUser(["-c", "sleep 3; echo clawav-kill-me"]);
      const a = await d.waitAlert("the monitor-mode alert", (x) => x.rule === "kill-marked");
      expect(a.severity).toBe("warning");
      expect(a.mitigation).toBeUndefined();
      await sleep(200);
      expect(child.exitCode).toBeNull();
      child.kill("SIGTERM");
      expect(await exit).toBe("SIGTERM");
    } finally {
      expect((await d.stop()).code).toBe(0);
    }
  });
});
