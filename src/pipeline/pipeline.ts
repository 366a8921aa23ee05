import type { Alert, Event } from "../events/index.js";
import type { ProcessTable, WatchedUsers } from "../enrich/index.js";
import type { Engine } from "./types.js";

/** Records every alert before any thinning: the audit chain. */
export interface EvidenceRecorder {
  record(alert: Alert): void;
}

/** Acts on an alert (monitor/enforce); returns the alert as acted on plus any alerts it raised. */
export interface Mitigator {
  handle(alert: Alert): Alert[];
}

/** Dedupe and rate limit; returns the alert to pass on (with suppressed counts) or undefined. */
export interface AlertGate {
  admit(alert: Alert, nowMs: number): Alert | undefined;
}

export interface PipelineStages {
  table: ProcessTable;
  watched: WatchedUsers;
  engines: () => readonly Engine[];
  recorder?: EvidenceRecorder;
  mitigator?: Mitigator;
  gate?: AlertGate;
  /** Where admitted alerts go (API ring, dispatcher, stdout). Must not block. */
  deliver: (alert: Alert) => void;
  /** Live-only facts read after enrichment, before judging (e.g. whether the preload guard is loaded). */
  annotate?: (event: Event) => void;
  /** Alerts the pipeline itself raises from sensor events (a blinded watchdog says so). */
  sensorAlerts?: (event: Event) => Alert[];
}

export interface PipelineStats {
  events: number;
  judged: number;
  ignored_unwatched: number;
  alerts: number;
  admitted: number;
  suppressed: number;
  engine_errors: number;
  by_kind: Record<string, number>;
}

/**
 * sources → enrich → detect → decide → sinks, as one function of an event. The live daemon
 * and `clawav replay` call exactly this; the aggregator's clock is the event's own timestamp,
 * so a replay of a recorded log gives the answers the live daemon gave.
 */
export class Pipeline {
  readonly stats: PipelineStats = { events: 0, judged: 0, ignored_unwatched: 0, alerts: 0, admitted: 0, suppressed: 0, engine_errors: 0, by_kind: {} };
  private lastEngineError: string | undefined;

  constructor(private readonly s: PipelineStages) {}

  get engineError(): string | undefined {
    return this.lastEngineError;
  }

  handle(event: Event): Alert[] {
    this.stats.events++;
    this.stats.by_kind[event.kind] = (this.stats.by_kind[event.kind] ?? 0) + 1;
    if (event.process) this.s.table.enrich(event);
    this.s.annotate?.(event);
    let raised: Alert[];
    if (event.kind === "sensor") {
      raised = this.s.sensorAlerts?.(event) ?? [];
    } else if (!this.isWatched(event)) {
      this.stats.ignored_unwatched++;
      return [];
    } else {
      this.stats.judged++;
      raised = [];
      for (const engine of this.s.engines()) {
        try {
          raised.push(...engine.evaluate(event));
        } catch (e) {
          // An engine bug must not stop the watchdog; it is counted and shown in status.
          this.stats.engine_errors++;
          this.lastEngineError = `${engine.name}: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
    }
    const acted = this.s.mitigator ? raised.flatMap((a) => this.s.mitigator!.handle(a)) : raised;
    const admitted: Alert[] = [];
    for (const alert of acted) {
      this.stats.alerts++;
      this.s.recorder?.record(alert);
      const passed = this.s.gate ? this.s.gate.admit(alert, event.ts) : alert;
      if (passed === undefined) {
        this.stats.suppressed++;
        continue;
      }
      this.stats.admitted++;
      admitted.push(passed);
      this.s.deliver(passed);
    }
    return admitted;
  }

  /** An event is judged when any of its uids is watched or it belongs to a known agent. */
  private isWatched(event: Event): boolean {
    const p = event.process;
    if (!p) return true;
    // A gate's decision is always judged: it is about a request made through the gate itself.
    if (event.kind === "gate") return true;
    return p.agent !== undefined || this.s.watched.has(p.uid) || this.s.watched.has(p.euid) || this.s.watched.has(p.auid);
  }
}
