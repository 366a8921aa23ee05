import { describe, expect, it } from "vitest";
import { MAX_WAIT_MS, NamingOrder, type NamingSource } from "../../src/pipeline/index.js";
import type { Event } from "../../src/events/index.js";

const connect = (ts: number, resolved?: string): Event => ({
  id: `e${ts}`,
  ts,
  source: "auditd",
  kind: "net",
  node_id: "n",
  fidelity: "kernel",
  process: { pid: 10, uid: 1000, auid: null, argv: ["curl"] },
  net: { family: "inet", address: "127.0.0.78", port: 80, ...(resolved ? { resolved_host: resolved } : {}) },
});

const source = (upTo: number | undefined): NamingSource & { upTo: number | undefined } => {
  const s = { upTo, readUpTo: () => s.upTo };
  return s;
};

describe("a connect waits for the naming sources to read past it", () => {
  it("waits while a running naming source is behind the connect, and goes once it has caught up", () => {
    const dns = source(900);
    const o = new NamingOrder(() => [dns]);
    const e = connect(1000);
    expect(o.mustWait(e, 1000)).toBe(true);
    expect(o.mustWait(e, 1020)).toBe(true);
    dns.upTo = 1000;
    expect(o.mustWait(e, 1030)).toBe(false);
    expect(o.stats).toEqual({ waited: 1, timed_out: 0, max_wait_ms: 30 });
  });

  it("waits for the slowest of several sources", () => {
    const a = source(2000);
    const b = source(500);
    const o = new NamingOrder(() => [a, b]);
    expect(o.mustWait(connect(1000), 1000)).toBe(true);
  });

  it("does not wait for a source that cannot say (down, or no heartbeat yet), nor with an already named connect or another kind", () => {
    const o = new NamingOrder(() => [source(undefined)]);
    expect(o.mustWait(connect(1000), 1000)).toBe(false);
    const behind = new NamingOrder(() => [source(0)]);
    expect(behind.mustWait(connect(1000, "mirror.allowed.test"), 1000)).toBe(false);
    expect(behind.mustWait({ ...connect(1000), kind: "exec", net: undefined }, 1000)).toBe(false);
    expect(behind.stats.waited).toBe(0);
  });

  it("lets a connect through after the longest wait when a source stalls, and counts it", () => {
    const o = new NamingOrder(() => [source(0)]);
    const e = connect(1000);
    expect(o.mustWait(e, 1000)).toBe(true);
    expect(o.mustWait(e, 1000 + MAX_WAIT_MS - 1)).toBe(true);
    expect(o.mustWait(e, 1000 + MAX_WAIT_MS)).toBe(false);
    expect(o.stats).toEqual({ waited: 1, timed_out: 1, max_wait_ms: MAX_WAIT_MS });
    // The next connect waits afresh.
    expect(o.mustWait(connect(1001), 3000)).toBe(true);
    expect(o.stats.waited).toBe(2);
  });
});
