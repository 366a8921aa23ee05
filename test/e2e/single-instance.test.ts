import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { auditdUsable, runCli } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

describe.skipIf(!auditdUsable())("one daemon per state folder", () => {
  it("a second daemon on the same state folder exits 75 with a clear message; the first goes on; a stop removes the lock and api.json", async () => {
    const a = DaemonUnderTest.withTempState();
    await a.start();
    expect(existsSync(join(a.stateDir, "clawav.lock"))).toBe(true);
    const b = await runCli(["run", "--headless", "--api-port", "0", "--state-dir", a.stateDir]);
    expect(b.code).toBe(75);
    expect(b.stderr).toMatch(/another clawav \(pid \d+\) is running on the state folder/);
    expect(b.stderr).not.toMatch(/\n\s+at /);
    const port = (a.logs.find((l) => l.msg === "api listening") as { port: number }).port;
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
    expect((await a.stop()).code).toBe(0);
    expect(existsSync(join(a.stateDir, "clawav.lock"))).toBe(false);
    expect(existsSync(join(a.stateDir, "api.json"))).toBe(false);
  });

  it("a lock left by a daemon that was killed is taken over", async () => {
    const a = DaemonUnderTest.withTempState();
    await a.start();
    await a.stop("SIGKILL");
    expect(existsSync(join(a.stateDir, "clawav.lock"))).toBe(true);
    const again = new DaemonUnderTest(a.stateDir);
    await again.start();
    expect((await again.stop()).code).toBe(0);
  });

  it("a SIGTERM while the daemon still starts (sources catching up) stops it cleanly once started: exit 0, lock gone, heartbeat says stopped", async () => {
    const a = DaemonUnderTest.withTempState();
    // The API listens before the sources start: the signal lands in the middle of the start.
    await a.start((l) => l.msg === "api listening");
    a.signal("SIGTERM");
    expect(await a.exit).toEqual({ code: 0, signal: null });
    expect(a.logs.some((l) => l.msg === "clawav running")).toBe(true);
    expect(a.logs.find((l) => l.msg === "stopping")).toMatchObject({ signal: "SIGTERM" });
    expect(existsSync(join(a.stateDir, "clawav.lock"))).toBe(false);
    expect(JSON.parse(readFileSync(join(a.stateDir, "heartbeat.json"), "utf8"))).toMatchObject({ stopped: true });
  });
});
