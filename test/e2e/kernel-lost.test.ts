import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { auditdUsable } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { parseAuditStatus } from "../../src/sources/auditd/index.js";

describe.skipIf(!auditdUsable())("a blinded watchdog says so", () => {
  it("raises a sensor event and a critical alert when the kernel loses audit records", async () => {
    const before = spawnSync("auditctl", ["-s"], { encoding: "utf8" }).stdout;
    const limit = parseAuditStatus(before)!.backlog_limit;
    const wait = /backlog_wait_time (\d+)/.exec(before)?.[1] ?? "15000";
    const d = DaemonUnderTest.withTempState([], `[auditd]\nstatus_interval = 0.2\n`);
    await d.start();
    try {
      // A tiny backlog and no waiting: the kernel drops records instead of blocking the flood.
      spawnSync("auditctl", ["-b", "2", "--backlog_wait_time", "0"], { stdio: "ignore" });
      for (let i = 0; i < 300; i++) spawnSync("/bin/true");
    } finally {
      spawnSync("auditctl", ["-b", String(limit), "--backlog_wait_time", wait], { stdio: "ignore" });
    }
    const e = await d.waitEvent("the kernel_lost sensor event", (x) => x.kind === "sensor" && x.sensor?.condition === "kernel_lost");
    expect(e.sensor!.delta).toBeGreaterThan(0);
    expect(e.sensor!.value).toBeGreaterThanOrEqual(e.sensor!.delta!);
    const a = await d.waitAlert("the kernel-lost alert", (x) => x.rule === "sensor-kernel-lost");
    expect(a.severity).toBe("critical");
    expect(a.summary).toMatch(/lost \d+ records/);
    expect((await d.stop()).code).toBe(0);
  });
});
