import { describe, expect, it } from "vitest";
import { mkdtempSync, chownSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IS_ROOT, TEST_USER, runAsUser, sleep, userIds } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

describe.skipIf(!IS_ROOT)("clawav run as an ordinary user (no auditd access)", () => {
  it("falls back to polling /proc, says so, and reports new processes as lower-fidelity exec events", async () => {
    const u = userIds(TEST_USER);
    const dir = mkdtempSync(join(tmpdir(), "clawav-user-"));
    chownSync(dir, u.uid, u.gid);
    const d = new DaemonUnderTest(join(dir, "state"), [], { uid: u.uid, gid: u.gid, env: { PATH: "/usr/bin:/bin", HOME: u.home } });
    await d.start();
    const fallback = d.logs.find((l) => l.msg === "auditd source unavailable");
    expect(String(fallback?.reason)).toMatch(/not readable|not root/);
    const marker = `procfs-${Date.now()}`;
    const child = runAsUser("sh", ["-c", "sleep 2", marker]);
    const e = await d.waitEvent("the sleep process", (x) => x.process?.argv.includes(marker) === true);
    expect(e.source).toBe("procfs");
    expect(e.fidelity).toBe("poll");
    expect(e.process!.argv).toEqual(["sh", "-c", "sleep 2", marker]);
    expect(e.process!.uid).toBe(u.uid);
    expect(e.process!.exe).toBe("/usr/bin/dash");
    await child;
    await sleep(100);
    expect((await d.stop()).code).toBe(0);
  });
});
