import type { Event } from "../events/index.js";

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
 * A source turns outside input into Events and knows nothing of rules. `emit` is synchronous
 * and cheap (it enqueues); a source never waits on detection or sinks.
 */
export interface Source {
  readonly name: string;
  start(emit: (e: Event) => void): Promise<void>;
  /** Stops reading; events still open are emitted. The daemon then judges them and calls commit(true). */
  stop(): Promise<void>;
  /**
   * Called by the daemon when its queue is empty, i.e. every event this source emitted so far
   * has been judged and recorded: only then may a cursor move past them.
   */
  commit?(force: boolean): void;
  status(): SourceStatus;
}
