// The daemon's series are read from its status once per read: each read (a scrape's text, an
// OpenTelemetry export's objects) must see the status as it is then, not the first one it saw.
import { describe, expect, it } from "vitest";
import { DaemonMetrics, type MetricsSnapshot } from "../../src/daemon/metrics.js";
import { HandleHistogram } from "../../src/daemon/handle-histogram.js";

describe("DaemonMetrics", () => {
  it("reads the daemon's status afresh for every scrape and every export", async () => {
    let events = 1;
    let taken = 0;
    const snap = (): MetricsSnapshot => {
      taken++;
      return { events, alerts: 0, alertsBySeverity: {}, alertsByCategory: {}, sources: [], queue: { length: 0, capacity: 8, dropped: 0 }, chainEntries: 0, sinks: {}, mitigation: { kills_ok: 0, kills_failed: 0, would_kill: 0, quarantine_failed: 0, would_quarantine: 0, latency_ms: {} } };
    };
    const handle = new HandleHistogram();
    const m = new DaemonMetrics(snap, { node_id: "n" }, handle);
    const eventsIn = async () => (await m.json()).find((x) => x.name === "clawav_events_total")!.values[0]!.value;
    expect(await eventsIn()).toBe(1);
    events = 5;
    expect(await eventsIn()).toBe(5);
    events = 7;
    expect(await m.text()).toMatch(/^clawav_events_total\{node_id="n"\} 7$/m);
    events = 9;
    expect(await eventsIn()).toBe(9);
    // Once per read, however many series read it.
    expect(taken).toBe(4);
  });
});

describe("HandleHistogram", () => {
  it("counts into Prometheus's cumulative buckets, with +Inf, sum and count, labels escaped", () => {
    const h = new HandleHistogram();
    for (const s of [3e-6, 5e-6, 1.5e-5, 0.5]) h.observe(s);
    const text = h.exposition("x_seconds", "help me", { node_id: 'a"b' });
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe("# HELP x_seconds help me");
    expect(lines[1]).toBe("# TYPE x_seconds histogram");
    expect(lines).toContain('x_seconds_bucket{node_id="a\\"b",le="0.000005"} 2');
    expect(lines).toContain('x_seconds_bucket{node_id="a\\"b",le="0.00001"} 2');
    expect(lines).toContain('x_seconds_bucket{node_id="a\\"b",le="0.00002"} 3');
    expect(lines).toContain('x_seconds_bucket{node_id="a\\"b",le="0.1"} 3');
    expect(lines).toContain('x_seconds_bucket{node_id="a\\"b",le="+Inf"} 4');
    expect(lines).toContain('x_seconds_count{node_id="a\\"b"} 4');
    expect(Number(lines.find((l) => l.startsWith("x_seconds_sum"))!.split(" ")[1])).toBeCloseTo(0.500023, 9);
  });
});
