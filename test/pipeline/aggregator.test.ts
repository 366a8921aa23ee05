import { describe, expect, it } from "vitest";
import { Aggregator } from "../../src/pipeline/index.js";
import type { Alert, AlertAction, ChannelRule, Severity } from "../../src/events/index.js";

function alert(opts: { ts?: number; rule?: string; severity?: Severity; address?: string; path?: string; argv?: string[]; action?: AlertAction } = {}): Alert {
  const kind = opts.address ? "net" : opts.path ? "file" : "exec";
  const ts = opts.ts ?? 0;
  return {
    event_id: ts.toString(16).padStart(16, "0"), ts, severity: opts.severity ?? "warning", category: "DATA_EXFIL", rule: opts.rule ?? "r", engine: "behavior", summary: "s", action: opts.action ?? "alert", node_id: "n", policy_version: "v",
    event: {
      id: "0", ts, source: "auditd", kind, node_id: "n", fidelity: "kernel",
      process: { pid: 1, ppid: 0, uid: 1000, auid: 1000, euid: 1000, exe: "/usr/bin/curl", comm: "curl", argv: opts.argv ?? ["curl"] },
      ...(opts.address ? { net: { family: "inet" as const, address: opts.address, port: 443 } } : {}),
      ...(opts.path ? { file: { path: opts.path, items: [] } } : {}),
    },
  };
}

const hook: ChannelRule = { name: "webhook", minSeverity: "warning", ratePerMinute: 3 };

describe("Aggregator", () => {
  it("folds repeats of the same rule, process and target within the window into one entry with a count and first/last time", () => {
    const g = new Aggregator({ windowMs: 30_000, channels: [hook] });
    const first = g.aggregate(alert({ ts: 0, address: "10.0.0.1" }));
    expect(first).toMatchObject({ fresh: true, push: [{ channel: "webhook", suppressed: 0 }] });
    const again = g.aggregate(alert({ ts: 10_000, address: "10.0.0.1" }));
    expect(again.fresh).toBe(false);
    expect(again.push).toEqual([]);
    expect(again.entry).toBe(first.entry);
    g.aggregate(alert({ ts: 29_999, address: "10.0.0.1" }));
    expect(first.entry).toMatchObject({ count: 3, first_ts: 0, last_ts: 29_999, last_event_id: (29_999).toString(16).padStart(16, "0") });
    const next = g.aggregate(alert({ ts: 30_000, address: "10.0.0.1" }));
    expect(next.fresh).toBe(true);
    expect(next.push).toEqual([{ channel: "webhook", suppressed: 2 }]);
    expect(g.status()).toMatchObject({ alerts: 4, folded_repeats: 2, channels: { webhook: { pushed: 2, repeats: 2, pending_suppressed: 0 } } });
  });

  it("treats two addresses, paths, command lines or rules as two entries", () => {
    const g = new Aggregator({ windowMs: 30_000, channels: [] });
    const fresh = [alert({ address: "10.0.0.1" }), alert({ address: "10.0.0.2" }), alert({ path: "/a" }), alert({ path: "/b" }), alert({ argv: ["curl", "x"] }), alert({ argv: ["curl", "y"] }), alert({ rule: "q", argv: ["curl", "y"] })].map((a) => g.aggregate(a).fresh);
    expect(fresh).toEqual([true, true, true, true, true, true, true]);
  });

  it("sensor alerts fold by condition, unless their keys differ (two different firewall diffs are two findings)", () => {
    const g = new Aggregator({ windowMs: 30_000, channels: [] });
    const sensor = (condition: string, key?: string): Alert => {
      const a = alert({ rule: `sensor-${condition}` });
      return { ...a, event: { id: "0", ts: 0, source: "firewall", kind: "sensor", node_id: "n", fidelity: "poll", sensor: { condition, detail: "d", ...(key !== undefined ? { key } : {}) } } };
    };
    const fresh = [sensor("kernel_lost"), sensor("kernel_lost"), sensor("firewall_changed", "a1"), sensor("firewall_changed", "b2"), sensor("firewall_changed", "a1")].map((a) => g.aggregate(a).fresh);
    expect(fresh).toEqual([true, false, true, true, false]);
  });

  it("rate-limits each channel's pushes per sliding minute, never critical alerts or clawsudo questions; the held-back count rides on the next push", () => {
    const g = new Aggregator({ windowMs: 30_000, channels: [hook, { name: "slack", minSeverity: "critical", ratePerMinute: 100 }] });
    const pushedTo = (a: Alert) => g.aggregate(a).push.map((p) => p.channel);
    const pushes = Array.from({ length: 5 }, (_, i) => pushedTo(alert({ ts: i, argv: ["c", String(i)] })));
    expect(pushes).toEqual([["webhook"], ["webhook"], ["webhook"], [], []]);
    expect(g.aggregate(alert({ ts: 10, severity: "critical", argv: ["k"] })).push).toEqual([{ channel: "webhook", suppressed: 2 }, { channel: "slack", suppressed: 0 }]);
    expect(pushedTo(alert({ ts: 11, action: "ask", argv: ["sudo"] }))).toEqual(["webhook"]);
    expect(pushedTo(alert({ ts: 12, severity: "info", argv: ["i"] }))).toEqual([]);
    for (let i = 0; i < 3; i++) g.aggregate(alert({ ts: 20 + i, argv: ["d", String(i)] }));
    const late = g.aggregate(alert({ ts: 60_001, argv: ["c", "late"] }));
    expect(late.push).toEqual([{ channel: "webhook", suppressed: 3 }]);
    expect(g.status().channels.webhook).toMatchObject({ rate_limited: 5, below_min_severity: 1, pushed: 6 });
    expect(g.status().channels.slack).toMatchObject({ pushed: 1, below_min_severity: 11 });
  });

  it("two different critical rules about the same curl within a minute both reach the channel", () => {
    const g = new Aggregator({ windowMs: 60_000, channels: [hook] });
    expect(g.aggregate(alert({ ts: 0, severity: "critical", rule: "exfil.upload" })).push).toHaveLength(1);
    expect(g.aggregate(alert({ ts: 5_000, severity: "critical", rule: "cred.read" })).push).toHaveLength(1);
  });

  it("keeps memory bounded and counts evictions", () => {
    const g = new Aggregator({ windowMs: 30_000, channels: [], maxKeys: 10 });
    for (let i = 0; i < 25; i++) g.aggregate(alert({ ts: i, argv: [String(i)] }));
    expect(g.status()).toMatchObject({ entries: 10, evicted_keys: 15 });
  });
});
