import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, chownSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditdUsable, runCli, sleep, TEST_USER, userIds, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

describe.skipIf(!auditdUsable())("trust and quarantine through the daemon", () => {
  it("a critical alert below the trust threshold freezes the agent's processes; clawav release thaws them; both are in the chain", async () => {
    const u = userIds(TEST_USER);
    const dir = mkdtempSync(join(tmpdir(), "clawav-qe2e-"));
    chownSync(dir, u.uid, u.gid);
    const f = join(dir, "n");
    const cnt = spawn("sh", ["-c", `i=0; while :; do i=$((i+1)); echo $i > ${f}; sleep 0.02; done`], { uid: u.uid, gid: u.gid, stdio: "ignore" });
    const read = () => { try { return readFileSync(f, "utf8"); } catch { return ""; } };
    try {
      const d = DaemonUnderTest.withTempState(["--mode", "enforce"], `[trust]\nthreshold = 90\npenalty_critical = 25\n`);
      await d.start();
      const trigger = spawn("bash", ["-c", "echo ZWNobyBoaQo= | base64 -d | sh # quarantine-me"], { uid: u.uid, gid: u.gid, stdio: "ignore" });
      const triggerDone = new Promise((res) => trigger.on("exit", res));
      const a = await d.waitAlert("the quarantine alert", (x) => x.rule === "agent-quarantined");
      expect(a.severity).toBe("critical");
      expect(a.summary).toContain(`clawav release ${TEST_USER}`);
      await sleep(150);
      const frozenAt = read();
      await sleep(400);
      expect(read()).toBe(frozenAt);
      const cfg = join(dir, "c.toml");
      writeFileSync(cfg, `[general]\nstate_dir = "${d.stateDir}"\n`);
      const port = (d.logs.find((l) => l.msg === "api listening") as { port: number }).port;
      // The agent cannot run anything now (its new processes join the freeze); what it could try
      // from elsewhere is the API without the admin token:
      const noToken = await fetch(`http://127.0.0.1:${port}/api/agents/${TEST_USER}/release`, { method: "POST" });
      expect(noToken.status).toBe(401);
      expect(read()).toBe(frozenAt);
      const r = await runCli(["release", TEST_USER, "--config", cfg, "--api", `http://127.0.0.1:${port}`]);
      expect(r.stdout).toMatch(new RegExp(`^released ${TEST_USER} \\(`));
      await waitFor("progress after release", () => (read() !== frozenAt ? true : undefined), 5000);
      await triggerDone;
      expect((await d.stop()).code).toBe(0);
      const types = readFileSync(join(d.stateDir, "audit.chain"), "utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as { type: string }).type);
      expect(types).toContain("quarantine");
      expect(types.indexOf("release")).toBeGreaterThan(types.indexOf("quarantine"));
      expect((await runCli(["verify-audit", join(d.stateDir, "audit.chain")])).code).toBe(0);
    } finally {
      try { process.kill(cnt.pid!, "SIGCONT"); } catch { /* gone */ }
      cnt.kill("SIGKILL");
    }
  });
});
