import type { Event } from "../events/index.js";

// The DNS answers sensor names a connect after the answer its process received, and the answer
// always comes first in the kernel (getaddrinfo returns, then connect). But the two reach clawav
// by different roads (bpftrace's pipe, auditd's log) and under load the connect can arrive first,
// judged then as a connect to a bare address. So a connect waits at the head of the queue until
// every naming source has read past the connect's time, and the answers (a lane of their own) are
// judged ahead of it. The wait is bounded: a naming source that stalls costs each connect at most
// MAX_WAIT_MS, counted.

/** The longest a connect waits for the naming sources, in ms. */
export const MAX_WAIT_MS = 1000;

export interface NamingSource {
  /** Wall-clock ms up to which everything the source saw has been emitted; undefined when it cannot say. */
  readUpTo(): number | undefined;
}

export interface NamingOrderStats {
  /** Connects that waited for a naming source to catch up. */
  waited: number;
  /** Of those, the ones let through after MAX_WAIT_MS without the source catching up. */
  timed_out: number;
  /** The longest wait seen, in ms. */
  max_wait_ms: number;
}

/** Whether an event is one a naming source could name. */
export function nameable(e: Event): boolean {
  return e.kind === "net" && e.net?.address !== undefined && e.net.resolved_host === undefined;
}

export class NamingOrder {
  readonly stats: NamingOrderStats = { waited: 0, timed_out: 0, max_wait_ms: 0 };
  private waiting: { event: Event; since: number } | undefined;

  constructor(private readonly sources: () => readonly NamingSource[]) {}

  /**
   * Whether the event at the head of the queue must wait; now is the wall clock. Once it answers
   * false for an event, that event goes on.
   */
  mustWait(e: Event, now: number): boolean {
    if (!nameable(e)) return false;
    let behind = false;
    for (const s of this.sources()) {
      const upTo = s.readUpTo();
      if (upTo !== undefined && upTo < e.ts) behind = true;
    }
    const w = this.waiting?.event === e ? this.waiting : undefined;
    if (!behind) {
      if (w) this.done(now - w.since);
      return false;
    }
    if (!w) {
      this.waiting = { event: e, since: now };
      this.stats.waited++;
      return true;
    }
    if (now - w.since < MAX_WAIT_MS) return true;
    this.stats.timed_out++;
    this.done(now - w.since);
    return false;
  }

  private done(ms: number): void {
    this.waiting = undefined;
    if (ms > this.stats.max_wait_ms) this.stats.max_wait_ms = ms;
  }
}
