import type { Alert, Event } from "../events/index.js";

/** An engine judges one event; it does no I/O and keeps no clock of its own. */
export interface Engine {
  readonly name: string;
  evaluate(event: Event): Alert[];
}

/** Sinks consume alerts and never feed back into detection. `accept` must not block. */
export interface AlertSink {
  readonly name: string;
  accept(alert: Alert): void;
  /** Counters for /api/status (sent, dropped, failed, ...). */
  status(): Record<string, number | string>;
  close(): Promise<void>;
}
