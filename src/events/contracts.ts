// The contracts every stage implements. They sit beside Event and Alert so that a stage depends
// only on this bottom layer, never on the pipeline or the daemon that wires it.
import type { Alert, Event, Severity } from "./types.js";

export type SourceState = "starting" | "running" | "degraded" | "down" | "stopped";

/** What every source shows in /api/status: nothing is lost without a count. */
export interface SourceStatus {
  name: string;
  state: SourceState;
  /** Why the source is degraded or down, or which fallback it is. */
  detail?: string;
  events: number;
  parse_errors: number;
  /** Events or lines the source itself dropped (bounded queues). */
  drops: number;
  /** The kernel's own audit losses (auditd only). */
  kernel_lost?: number;
  fidelity: "kernel" | "poll" | "userspace";
}

/**
 * Turns outside input into Events and knows nothing of rules. `emit` is synchronous and cheap
 * (it enqueues); a source never waits on detection or sinks.
 */
export interface Source {
  readonly name: string;
  start(emit: (e: Event) => void): Promise<void>;
  /** Stops reading; events still open are emitted. The daemon then judges them and calls commit(true). */
  stop(): Promise<void>;
  /**
   * Called when every event this source emitted so far has been judged and recorded: only then
   * may a cursor move past them.
   */
  commit?(force: boolean): void;
  status(): SourceStatus;
  /** Source-specific figures for /api/status. */
  details?(): Record<string, unknown>;
  /**
   * For a source whose events name others' (the DNS answers sensor names connects): the
   * wall-clock ms up to which everything it saw has been emitted, undefined when it cannot say.
   * Its events are judged ahead of the queue, and a connect waits until it has read past it.
   */
  readUpTo?(): number | undefined;
}

/**
 * Adds facts to an event in place (lineage, identity, resolved names, ...). It never blocks.
 * Facts already on the event are kept: an event recorded by a live daemon carries what that
 * daemon learned from its host, and replaying it must not learn something else.
 */
export interface Enricher {
  readonly name: string;
  enrich(event: Event): void;
  /** Counters for /api/status (cache sizes, evictions, lookups). */
  status?(): Record<string, number>;
}

/** Judges one event; it does no I/O and keeps no clock of its own. */
export interface Engine {
  readonly name: string;
  evaluate(event: Event): Alert[];
}

/** Writes evidence: every alert, and what was done about it, before anyone is told. */
export interface Recorder {
  record(alert: Alert): void;
  /** Any other evidence: a mitigation's outcome, a quarantine, a release. */
  note(type: string, data: Record<string, unknown>): void;
}

/** What a mitigator did about one alert. */
export interface Mitigation {
  /** The alert as acted on (with its `mitigation` filled in): what people are shown. */
  alert: Alert;
  /** Alerts the action raised (a kill that failed, an agent quarantined). */
  raised: Alert[];
  /** Work that finishes later (freezing a process tree); its alerts are recorded when it ends. */
  later?: Promise<Alert[]>;
}

/** Acts on alerts: monitor or enforce, kill, quarantine. */
export interface Mitigator {
  readonly name: string;
  /** Pure: the alert as the mode judges it, before it is recorded (a denial is at least a warning). */
  assess(alert: Alert): Alert;
  /** Acts on an alert already in the chain. Returns without waiting on slow work. */
  act(alert: Alert): Mitigation;
  /** Sees every judged event (a new process of a frozen agent joins the freeze). */
  observe?(event: Event): void;
}

/** One distinct detection as the operator sees it: repeats within the window fold into it. */
export interface AlertEntry {
  key: string;
  alert: Alert;
  count: number;
  first_ts: number;
  last_ts: number;
  last_event_id: string;
}

/** What the aggregate stage hands to every sink for each alert. */
export interface Notice {
  alert: Alert;
  entry: AlertEntry;
  /** The first alert of its entry (not a repeat folded into an earlier one). */
  fresh: boolean;
  /** The channels this alert is pushed to, each with what it held back since its last push. */
  push: readonly { channel: string; suppressed: number }[];
}

/** A channel's share of the aggregation: which alerts are worth a person's attention. */
export interface ChannelRule {
  name: string;
  minSeverity: Severity;
  /** Pushes per sliding minute; critical alerts and clawsudo questions are always pushed. */
  ratePerMinute: number;
}

/** Consumes notices; never feeds back into detection, never blocks. */
export interface AlertSink {
  readonly name: string;
  accept(notice: Notice): void;
  /** Sees every event that was judged (and every sensor event), for sinks that stream events too; never blocks. */
  observe?(event: Event): void;
  /** Counters for /api/status (sent, dropped, failed, ...). */
  status?(): Record<string, number | string>;
  /** Sends what it still holds, for at most deadlineMs (a default of its own when not given). */
  close?(deadlineMs?: number): Promise<void>;
}
