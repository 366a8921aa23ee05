// sd_notify, live: the daemon started as systemd starts a Type=notify service (NOTIFY_SOCKET and
// WATCHDOG_USEC in its environment), with a real datagram socket standing in for systemd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { NOTIFY_HELPER } from "../../src/daemon/notify.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { NotifyListener } from "../helpers/notify.js";
import { IS_ROOT, sleep, waitFor } from "../helpers/system.js";

describe.skipIf(!IS_ROOT)("sd_notify under a real NOTIFY_SOCKET", () => {
  const sock = new NotifyListener();
  let d: DaemonUnderTest;
  beforeAll(async () => {
    expect(existsSync(NOTIFY_HELPER), `${NOTIFY_HELPER} (npm run build:native)`).toBe(true);
    await sock.start();
    // 400 ms: the daemon must say WATCHDOG=1 every 200 ms.
    d = DaemonUnderTest.withTempState([], "", { env: { ...process.env, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "400000" } });
    await d.start();
  }, 60_000);
  afterAll(() => {
    d?.signal("SIGCONT");
    sock.stop();
  });

  it("READY=1 once the sources are up, with a STATUS naming them, and the watchdog at half its interval", async () => {
    const ready = await waitFor("READY=1", () => sock.with("READY", "1")[0]);
    expect(ready.fields.STATUS).toMatch(/auditd (running|starting)/);
    expect(ready.fields.MAINPID).toBe(String(d.pid));
    expect(d.logs.find((l) => l.msg === "systemd notified")).toMatchObject({ socket: sock.path, watchdog_every_ms: 200 });
    await waitFor("three WATCHDOG=1", () => (sock.with("WATCHDOG", "1").length >= 3 ? true : undefined));
    // Every ping comes after READY=1, and each carries the counts.
    for (const w of sock.with("WATCHDOG", "1")) {
      expect(w.t).toBeGreaterThanOrEqual(ready.t);
      expect(w.fields.STATUS).toMatch(/^\d+ events, \d+ alerts, queue \d+, dropped \d+; /);
    }
  });

  it("a frozen daemon (SIGSTOP) says no WATCHDOG=1; thawed, it does again", async () => {
    d.signal("SIGSTOP");
    const frozenAt = Date.now();
    await sleep(2500);
    const thawAt = Date.now();
    d.signal("SIGCONT");
    // A ping already in the pipe when the signal landed may still arrive just after it (the helper
    // is another process, and a loaded machine may run it late): a grace of 700 ms, then nothing.
    const during = sock.with("WATCHDOG", "1").filter((n) => n.t > frozenAt + 700 && n.t < thawAt);
    expect(during).toEqual([]);
    await waitFor("WATCHDOG=1 after the thaw", () => sock.with("WATCHDOG", "1").find((n) => n.t > thawAt));
  });

  it("STOPPING=1 on SIGTERM, then the helper goes with the daemon", async () => {
    const r = await d.stop();
    expect(r.code).toBe(0);
    await waitFor("STOPPING=1", () => sock.with("STOPPING", "1")[0]);
    expect(d.logs.some((l) => l.msg === "sd_notify helper failed")).toBe(false);
  });
});
