// /metrics in Prometheus's text format: the daemon's counters as they stand at each scrape (read
// from its status, not kept twice), the time each event takes through the pipeline, and the
// process's own (RSS, CPU, heap, event-loop lag) from prom-client's defaults.
import { collectDefaultMetrics, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import type { HandleHistogram } from "./handle-histogram.js";
import type { SourceStatus } from "../events/index.js";

export interface MetricsSnapshot {
  events: number;
  alerts: number;
  alertsBySeverity: Record<string, number>;
  alertsByCategory: Record<string, number>;
  sources: SourceStatus[];
  queue: { length: number; capacity: number; dropped: number };
  chainEntries: number | undefined;
  proxy?: { requests: number; refused: number; blocked: number; redacted: number; upstream_errors: number };
  /** Each sink's counters, as /api/status shows them (the dispatcher's per channel, the outputs beyond the host). */
  sinks: Record<string, Record<string, number | string>>;
  mitigation: { kills_ok: number; kills_failed: number; would_kill: number; quarantine_failed: number; would_quarantine: number; latency_ms: { last?: number; p50?: number; p99?: number } };
}

export class DaemonMetrics {
  readonly registry = new Registry();
  /** The daemon's status, read once per scrape: every series below takes its figures from it. */
  private current: MetricsSnapshot | undefined;

  constructor(
    private readonly take: () => MetricsSnapshot,
    private readonly labels: Record<string, string>,
    /** Seconds per event through the whole route, counted by the daemon from its first event. */
    private readonly handle: HandleHistogram,
  ) {
    const r = this.registry;
    const snapshot = (): MetricsSnapshot => (this.current ??= this.take());
    r.setDefaultLabels(labels);
    collectDefaultMetrics({ register: r });
    // Series read from the snapshot at each scrape: reset, then what it says now.
    type Fill = (put: (v: number, l?: Record<string, string>) => void, s: MetricsSnapshot) => void;
    const series = (kind: "counter" | "gauge", name: string, help: string, labelNames: string[], fill: Fill): void => {
      const opts = { name, help, labelNames, registers: [r] };
      if (kind === "counter") new Counter({ ...opts, collect() { this.reset(); fill((v, l) => (l ? this.inc(l, v) : this.inc(v)), snapshot()); } });
      else new Gauge({ ...opts, collect() { this.reset(); fill((v, l) => (l ? this.set(l, v) : this.set(v)), snapshot()); } });
    };
    const total = (name: string, help: string, labelNames: string[], fill: Fill) => series("counter", name, help, labelNames, fill);
    const gauge = (name: string, help: string, labelNames: string[], fill: Fill) => series("gauge", name, help, labelNames, fill);
    total("clawav_events_total", "Events judged", [], (set, s) => set(s.events));
    total("clawav_alerts_total", "Alerts raised", [], (set, s) => set(s.alerts));
    total("clawav_alerts_by_severity_total", "Alerts by severity (as listed by the API)", ["severity"], (set, s) => Object.entries(s.alertsBySeverity).forEach(([k, v]) => set(v, { severity: k })));
    total("clawav_alerts_by_category_total", "Alerts by category (as listed by the API)", ["category"], (set, s) => Object.entries(s.alertsByCategory).forEach(([k, v]) => set(v, { category: k })));
    total("clawav_source_events_total", "Events a source produced", ["source"], (set, s) => s.sources.forEach((x) => set(x.events, { source: x.name })));
    total("clawav_source_parse_errors_total", "Lines or records a source could not read", ["source"], (set, s) => s.sources.forEach((x) => set(x.parse_errors, { source: x.name })));
    total("clawav_source_drops_total", "Events a source dropped (its bounded queues)", ["source"], (set, s) => s.sources.forEach((x) => set(x.drops, { source: x.name })));
    total("clawav_kernel_lost_total", "Audit records the kernel lost (its backlog was full)", [], (set, s) => set(s.sources.reduce((n, x) => n + (x.kernel_lost ?? 0), 0)));
    gauge("clawav_source_up", "1 when a source runs, 0 when it is degraded or down", ["source", "state"], (set, s) => s.sources.forEach((x) => set(x.state === "running" ? 1 : 0, { source: x.name, state: x.state })));
    gauge("clawav_queue_length", "Events waiting to be judged", [], (set, s) => set(s.queue.length));
    gauge("clawav_queue_capacity", "The event queue's bound", [], (set, s) => set(s.queue.capacity));
    total("clawav_queue_dropped_total", "Events the full queue dropped (oldest first)", [], (set, s) => set(s.queue.dropped));
    gauge("clawav_chain_entries", "Entries in the audit chain", [], (set, s) => {
      if (s.chainEntries !== undefined) set(s.chainEntries);
    });
    const num = (v: number | string | undefined) => (typeof v === "number" ? v : undefined);
    total("clawav_dispatcher_messages_total", "Alert channel deliveries, by outcome (sent, retried, failed, dropped because the queue was full)", ["outcome"], (set, s) => {
      const d = s.sinks.dispatcher;
      if (!d) return;
      for (const [outcome, key] of [["sent", "sent"], ["retried", "retried"], ["failed", "failed"], ["dropped", "dropped_queue_full"]] as const) set(num(d[key]) ?? 0, { outcome });
    });
    gauge("clawav_dispatcher_queued", "Alerts waiting for an alert channel", [], (set, s) => {
      const q = num(s.sinks.dispatcher?.queued);
      if (q !== undefined) set(q);
    });
    total("clawav_output_records_total", "Records sent beyond the host (telemetry, otel, siem), by outcome", ["output", "outcome"], (set, s) => {
      for (const output of ["telemetry", "otel", "siem"]) {
        const o = s.sinks[output];
        if (!o) continue;
        for (const outcome of ["sent", "dropped", "failures", "errors"]) {
          const v = num(o[outcome]);
          if (v !== undefined) set(v, { output, outcome });
        }
      }
    });
    gauge("clawav_output_queued", "Records waiting to leave the host, per output", ["output"], (set, s) => {
      for (const output of ["telemetry", "otel", "siem"]) {
        const v = num(s.sinks[output]?.queued);
        if (v !== undefined) set(v, { output });
      }
    });
    total("clawav_mitigations_total", "Mitigations, by outcome (enforce mode acts; monitor mode counts what it would have done)", ["outcome"], (set, s) => {
      const m = s.mitigation;
      for (const k of ["kills_ok", "kills_failed", "would_kill", "quarantine_failed", "would_quarantine"] as const) set(m[k], { outcome: k });
    });
    gauge("clawav_mitigation_latency_seconds", "Time from the alert to the kill, over the kills so far (p50, p99) and the last one", ["stat"], (set, s) => {
      for (const [stat, v] of Object.entries(s.mitigation.latency_ms)) if (typeof v === "number") set(v / 1000, { stat });
    });
    total("clawav_proxy_requests_total", "LLM proxy requests, by outcome", ["outcome"], (set, s) => {
      if (!s.proxy) return;
      set(s.proxy.requests, { outcome: "all" });
      for (const k of ["refused", "blocked", "redacted", "upstream_errors"] as const) set(s.proxy[k], { outcome: k });
    });
  }

  /** The series as objects, read afresh (for the OpenTelemetry export). */
  async json(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    this.current = undefined;
    try {
      return await this.registry.getMetricsAsJSON();
    } finally {
      this.current = undefined;
    }
  }

  async text(): Promise<string> {
    this.current = undefined;
    try {
      return (await this.registry.metrics()) + this.handle.exposition("clawav_event_handle_seconds", "Time an event takes through the pipeline (enrich, judge, record, mitigate, sinks)", this.labels);
    } finally {
      this.current = undefined;
    }
  }
}
