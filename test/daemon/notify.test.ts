import { describe, expect, it } from "vitest";
import { notifyRequest, ProgressWatch } from "../../src/daemon/notify.js";

describe("what systemd asked for", () => {
  it("no NOTIFY_SOCKET: not a notify service", () => {
    expect(notifyRequest({ WATCHDOG_USEC: "30000000" }, 10)).toBeUndefined();
  });
  it("WATCHDOG_USEC halves into the ping interval in ms", () => {
    expect(notifyRequest({ NOTIFY_SOCKET: "/run/systemd/notify", WATCHDOG_USEC: "30000000" }, 10)).toEqual({ socket: "/run/systemd/notify", watchdogEveryMs: 15_000 });
  });
  it("a WATCHDOG_PID of another process: the watchdog is not ours", () => {
    expect(notifyRequest({ NOTIFY_SOCKET: "@x", WATCHDOG_USEC: "30000000", WATCHDOG_PID: "11" }, 10)).toEqual({ socket: "@x" });
    expect(notifyRequest({ NOTIFY_SOCKET: "@x", WATCHDOG_USEC: "30000000", WATCHDOG_PID: "10" }, 10)).toEqual({ socket: "@x", watchdogEveryMs: 15_000 });
  });
  it("a watchdog interval that is not a positive number is no watchdog", () => {
    expect(notifyRequest({ NOTIFY_SOCKET: "@x", WATCHDOG_USEC: "soon" }, 10)).toEqual({ socket: "@x" });
    expect(notifyRequest({ NOTIFY_SOCKET: "@x", WATCHDOG_USEC: "0" }, 10)).toEqual({ socket: "@x" });
  });
});

describe("progress at each watchdog tick", () => {
  it("idle is healthy; events judged are healthy; events waiting with none judged since are a stall", () => {
    const w = new ProgressWatch();
    expect(w.healthy({ handled: 0, queued: 0 })).toBe(true);
    expect(w.healthy({ handled: 0, queued: 0 })).toBe(true);
    expect(w.healthy({ handled: 0, queued: 5 })).toBe(true); // they just arrived
    expect(w.healthy({ handled: 3, queued: 9 })).toBe(true); // work goes on under load
    expect(w.healthy({ handled: 3, queued: 9 })).toBe(false); // none judged since
    expect(w.healthy({ handled: 3, queued: 9 })).toBe(false);
    expect(w.healthy({ handled: 12, queued: 0 })).toBe(true); // moving again
  });
});
