import type { Alert, AlertSink, Engine, Enricher, Event, Mitigator, Notice, Recorder } from "../events/index.js";
import { bySeverityDesc } from "../events/index.js";
import type { Aggregator } from "./aggregator.js";
import type { CrossSourceMatcher } from "./cross-source.js";

export interface PipelineStages {
  enrichers: readonly Enricher[];
  /** Read on every event, so a reload (SIGHUP) swaps engines between two events. */
  engines: () => readonly Engine[];
  /** Whether an event is about someone clawav watches; the rest are enriched but not judged. */
  isWatched: (event: Event) => boolean;
  recorder?: Recorder;
  /** Pairs the copies two sources make of one call, so that it is judged once. */
  matcher?: CrossSourceMatcher;
  mitigator?: Mitigator;
  aggregator: Aggregator;
  sinks: readonly AlertSink[];
  /** Alerts raised from sensor events (a blinded watchdog says so). */
  sensorAlerts: (event: Event) => Alert[];
  /** Makes the sensor event for a stage that threw (detail names the stage and the error); the pipeline judges it like any other. */
  stageFailed: (stage: string, error: string) => Event;
}

export interface PipelineStats {
  events: number;
  judged: number;
  ignored_unwatched: number;
  /** Copies of a call another source's copy of had already been judged for. */
  cross_source_repeats: number;
  alerts: number;
  fresh: number;
  folded: number;
  stage_errors: Record<string, number>;
  last_stage_error?: string;
  by_kind: Record<string, number>;
}

/**
 * The whole route of an event: enrich → judge → record → mitigate → aggregate → sinks. The live
 * daemon and `clawav replay` run this same object. Each stage is guarded: a stage that throws is
 * counted, raises a sensor alert naming it, and the event goes on through the other stages. An
 * alert is in the chain before any mitigation acts on it, and nothing here waits.
 */
export class Pipeline {
  readonly stats: PipelineStats = { events: 0, judged: 0, ignored_unwatched: 0, cross_source_repeats: 0, alerts: 0, fresh: 0, folded: 0, stage_errors: {}, by_kind: {} };
  /** Stage failures while a stage failure is being handled are counted, not raised again. */
  private failing = 0;

  constructor(private readonly s: PipelineStages) {}

  /** Judges one event; returns the alerts it raised, as acted on. */
  handle(event: Event): Alert[] {
    this.stats.events++;
    this.stats.by_kind[event.kind] = (this.stats.by_kind[event.kind] ?? 0) + 1;
    for (const en of this.s.enrichers) this.guard(`enrich:${en.name}`, () => en.enrich(event));
    let raised: Alert[] = [];
    const matcher = this.s.matcher;
    const verdict = matcher ? this.guard("cross-source", () => matcher.verdict(event)) : undefined;
    if (verdict?.repeat) {
      this.stats.cross_source_repeats++;
      return [];
    }
    if (event.kind === "sensor") {
      this.observe(event);
      raised = this.guard("sensor", () => this.s.sensorAlerts(event)) ?? [];
    } else if (!this.s.isWatched(event)) {
      this.stats.ignored_unwatched++;
      return [];
    } else {
      this.observe(event);
      this.stats.judged++;
      for (const engine of this.s.engines()) {
        const found = this.guard(`engine:${engine.name}`, () => engine.evaluate(event));
        if (found) raised.push(...found);
      }
      const already = verdict?.alreadyRaised;
      if (already && already.size > 0) raised = raised.filter((a) => !already.has(a.rule));
      if (matcher && raised.length > 0) matcher.raised(raised.map((a) => a.rule));
      if (raised.length > 1) raised.sort(bySeverityDesc);
      const m = this.s.mitigator;
      if (m?.observe) this.guard(`mitigate:${m.name}`, () => m.observe!(event));
    }
    return raised.flatMap((a) => this.process(a));
  }

  /** Alerts raised outside an event's judging (work that finished later) take the same route. */
  inject(alerts: readonly Alert[]): void {
    for (const a of alerts) this.after(a);
  }

  private process(raw: Alert): Alert[] {
    const m = this.s.mitigator;
    const alert = (m && this.guard(`mitigate:${m.name}`, () => m.assess(raw))) || raw;
    this.record(alert);
    if (!m) return [this.deliver(alert)];
    const done = this.guard(`mitigate:${m.name}`, () => m.act(alert));
    if (!done) return [this.deliver(alert)];
    if (done.alert.mitigation) this.guard("record", () => this.s.recorder?.note("mitigation", { event_id: alert.event_id, rule: alert.rule, ...done.alert.mitigation }));
    const out = [this.deliver(done.alert)];
    for (const extra of done.raised) out.push(this.after(extra));
    if (done.later) {
      done.later.then(
        (alerts) => this.inject(alerts),
        (e: unknown) => this.stageError(`mitigate:${m.name}`, e),
      );
    }
    return out;
  }

  private after(alert: Alert): Alert {
    this.record(alert);
    return this.deliver(alert);
  }

  private record(alert: Alert): void {
    this.stats.alerts++;
    const r = this.s.recorder;
    if (r) this.guard("record", () => r.record(alert));
  }

  /** Sinks that stream events see each one before its alerts. */
  private observe(event: Event): void {
    for (const sink of this.s.sinks) if (sink.observe) this.guard(`sink:${sink.name}`, () => sink.observe!(event));
  }

  private deliver(alert: Alert): Alert {
    const n: Notice | undefined = this.guard("aggregate", () => this.s.aggregator.aggregate(alert));
    if (!n) return alert;
    if (n.fresh) this.stats.fresh++;
    else this.stats.folded++;
    for (const sink of this.s.sinks) this.guard(`sink:${sink.name}`, () => sink.accept(n));
    return alert;
  }

  private guard<T>(stage: string, f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      this.stageError(stage, e);
      return undefined;
    }
  }

  private stageError(stage: string, e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.stats.stage_errors[stage] = (this.stats.stage_errors[stage] ?? 0) + 1;
    this.stats.last_stage_error = `${stage}: ${msg}`;
    // A failure while reporting a failure (the chain is down and so is its report) is only counted.
    if (this.failing > 0) return;
    this.failing++;
    try {
      this.handle(this.s.stageFailed(stage, `pipeline stage ${stage} failed: ${msg}`));
    } finally {
      this.failing--;
    }
  }
}
