import type { AlertSink, Notice } from "../events/index.js";
import type { Logger } from "../log/index.js";

import type { Channel } from "./channels.js";
import type { OutMessage } from "./message.js";

export interface DispatcherOptions {
  channels: Channel[];
  queueSize: number;
  maxRetries: number;
  timeoutMs: number;
  log: Logger;
  /** Backoff base; the nth retry waits about base * 2^n (with jitter), or what the server asked. */
  backoffMs?: number;
  now?: () => number;
}

interface Item {
  m: OutMessage;
  attempts: number;
  due: number;
}

interface ChannelState {
  ch: Channel;
  queue: Item[];
  busy: boolean;
  timer: NodeJS.Timeout | undefined;
  timerDue: number;
  c: { sent: number; retried: number; failed: number; dropped_queue_full: number };
}

/**
 * Delivers alerts to the channels the agent does not hold, in the background: accept() never
 * waits and never throws. What goes to which channel was decided by the aggregator (pipeline/);
 * this only queues and delivers. Each channel has its own bounded queue (the oldest entry goes
 * when it is full, counted) and one request in flight; an alert waiting to be retried does not
 * hold up the ones behind it. Every drop has a counter in /api/status.
 */
export class Dispatcher implements AlertSink {
  readonly name = "dispatcher";
  private readonly states: ChannelState[];
  private readonly byName = new Map<string, ChannelState[]>();
  private readonly now: () => number;
  private closed = false;
  readonly counts = { accepted: 0 };

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? Date.now;
    this.states = o.channels.map((ch) => ({ ch, queue: [], busy: false, timer: undefined, timerDue: 0, c: { sent: 0, retried: 0, failed: 0, dropped_queue_full: 0 } }));
    for (const s of this.states) this.byName.set(s.ch.name, [...(this.byName.get(s.ch.name) ?? []), s]);
  }

  accept(n: Notice): void {
    if (this.closed) return;
    for (const p of n.push) {
      for (const s of this.byName.get(p.channel) ?? []) {
        this.counts.accepted++;
        this.enqueueOn(s, { kind: "alert", alert: p.suppressed > 0 ? { ...n.alert, suppressed: p.suppressed } : n.alert });
      }
    }
  }

  /** Heartbeats and chain checkpoints skip dedupe and rate limits, but not the bounded queue. */
  send(m: OutMessage): void {
    if (!this.closed) this.enqueue(m);
  }

  status(): Record<string, number | string> {
    const out: Record<string, number | string> = { ...this.counts, channels: this.states.map((s) => `${s.ch.name} ${s.ch.target}`).join("; ") };
    let queued = 0;
    for (const s of this.states) {
      queued += s.queue.length;
      for (const [k, v] of Object.entries(s.c)) {
        out[`${s.ch.name}.${k}`] = v;
        out[k] = ((out[k] as number | undefined) ?? 0) + v;
      }
      out[`${s.ch.name}.queued`] = s.queue.length;
    }
    out.queued = queued;
    return out;
  }

  /** Waits for the queues to drain, up to `deadlineMs`, then stops. */
  async close(deadlineMs = 3000): Promise<void> {
    const end = this.now() + deadlineMs;
    while (this.states.some((s) => s.queue.length > 0 || s.busy) && this.now() < end) await new Promise((r) => setTimeout(r, 20));
    this.closed = true;
    for (const s of this.states) if (s.timer) clearTimeout(s.timer);
  }

  private enqueue(m: OutMessage): void {
    for (const s of this.states) this.enqueueOn(s, m);
  }

  private enqueueOn(s: ChannelState, m: OutMessage): void {
    if (s.queue.length >= this.o.queueSize) {
      s.queue.shift();
      s.c.dropped_queue_full++;
    }
    s.queue.push({ m, attempts: 0, due: 0 });
    this.pump(s);
  }

  /** Sends the first due item; schedules itself for the next due time otherwise. */
  private pump(s: ChannelState): void {
    if (s.busy || this.closed) return;
    const now = this.now();
    const idx = s.queue.findIndex((i) => i.due <= now);
    if (idx < 0) {
      const next = Math.min(...s.queue.map((i) => i.due));
      if (s.queue.length > 0 && (!s.timer || next < s.timerDue)) {
        if (s.timer) clearTimeout(s.timer);
        s.timerDue = next;
        s.timer = setTimeout(() => {
          s.timer = undefined;
          this.pump(s);
        }, Math.max(1, next - now));
        s.timer.unref();
      }
      return;
    }
    const item = s.queue.splice(idx, 1)[0]!;
    s.busy = true;
    s.ch.send(item.m, this.o.timeoutMs).then(
      (r) => {
        s.busy = false;
        if (r.ok) s.c.sent++;
        else if (r.retryable && item.attempts < this.o.maxRetries) {
          item.attempts++;
          s.c.retried++;
          const base = this.o.backoffMs ?? 500;
          item.due = this.now() + (r.retryAfterMs ?? Math.round(base * 2 ** (item.attempts - 1) * (0.75 + Math.random() * 0.5)));
          if (s.queue.length >= this.o.queueSize) {
            s.queue.shift();
            s.c.dropped_queue_full++;
          }
          s.queue.push(item);
          this.o.log.warn("alert delivery failed; will retry", { channel: s.ch.name, target: s.ch.target, error: r.error, attempt: item.attempts, retry_in_ms: item.due - this.now() });
        } else {
          s.c.failed++;
          this.o.log.error("alert delivery failed", { channel: s.ch.name, target: s.ch.target, error: r.error, attempts: item.attempts + 1 });
        }
        this.pump(s);
      },
      (e: unknown) => {
        s.busy = false;
        s.c.failed++;
        this.o.log.error("alert channel error", { channel: s.ch.name, target: s.ch.target, error: String(e) });
        this.pump(s);
      },
    );
  }
}
