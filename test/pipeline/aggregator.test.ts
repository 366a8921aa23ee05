import { describe, expect, it } from "vitest";
import { Aggregator } from "../../src/pipeline/aggregator.js";
import type { Alert, Severity } from "../../src/events/index.js";

function alert(opts: { rule?: string; severity?: Severity; address?: string; path?: string; argv?: string[]; source?: string } = {}): Alert {
  const kind = opts.address ? "net" : opts.path ? "file" : "exec";
  return {
    event_id: "0", ts: 0, severity: opts.severity ?? "warning", category: "DATA_EXFIL", rule: opts.rule ?? "r", engine: "behavior", summary: "s", action: "alert", node_id: "n", policy_version: "v",
    event: {
      id: "0", ts: 0, source: opts.source ?? "auditd", kind, node_id: "n", fidelity: "kernel",
      process: { pid: 1, ppid: 0, uid: 1000, auid: 1000, euid: 1000, exe: "/usr/bin/curl", comm: "curl", argv: opts.argv ?? ["curl"] },
      ...(opts.address ? { net: { family: "inet" as const, address: opts.address, port: 443 } } : {}),
      ...(opts.path ? { file: { path: opts.path, items: [] } } : {}),
    },
  };
}

describe("Aggregator", () => {
  it("dedupes the same rule, process and target within 30 s, and reports the count on the next one", () => {
    const g = new Aggregator();
    expect(g.admit(alert({ address: "10.0.0.1" }), 0)).toBeDefined();
    expect(g.admit(alert({ address: "10.0.0.1" }), 10_000)).toBeUndefined();
    expect(g.admit(alert({ address: "10.0.0.1" }), 29_999)).toBeUndefined();
    const next = g.admit(alert({ address: "10.0.0.1" }), 30_000);
    expect(next?.suppressed).toBe(2);
    expect(g.stats).toMatchObject({ admitted: 2, deduped: 2, pending_suppressed: 0 });
  });

  it("treats two different addresses, paths or command lines as two alerts", () => {
    const g = new Aggregator();
    expect(g.admit(alert({ address: "10.0.0.1" }), 0)).toBeDefined();
    expect(g.admit(alert({ address: "10.0.0.2" }), 1)).toBeDefined();
    expect(g.admit(alert({ path: "/a" }), 2)).toBeDefined();
    expect(g.admit(alert({ path: "/b" }), 3)).toBeDefined();
    expect(g.admit(alert({ argv: ["curl", "x"] }), 4)).toBeDefined();
    expect(g.admit(alert({ argv: ["curl", "y"] }), 5)).toBeDefined();
  });

  it("rate-limits each source to 20 a minute, but never critical alerts", () => {
    const g = new Aggregator();
    let passed = 0;
    for (let i = 0; i < 30; i++) if (g.admit(alert({ argv: ["c", String(i)] }), i)) passed++;
    expect(passed).toBe(20);
    expect(g.stats.rate_limited).toBe(10);
    expect(g.admit(alert({ argv: ["other-source"], source: "procfs" }), 31)).toBeDefined();
    for (let i = 0; i < 30; i++) expect(g.admit(alert({ severity: "critical", argv: ["k", String(i)] }), 40 + i)).toBeDefined();
    expect(g.admit(alert({ argv: ["c", "late"] }), 61_000)).toBeDefined();
  });

  it("keeps memory bounded and counts evictions", () => {
    const g = new Aggregator({ maxKeys: 10, ratePerMinute: 1000 });
    for (let i = 0; i < 25; i++) g.admit(alert({ argv: [String(i)] }), i);
    expect(g.stats.evicted_keys).toBe(15);
  });
});
