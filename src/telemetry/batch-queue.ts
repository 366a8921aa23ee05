/**
 * What an exporter to a collector needs between the pipeline and the network: a bounded queue
 * that never makes the pipeline wait, batches sent one at a time, and a batch that fails put back
 * at the head and tried again with backoff, so a collector that is down loses nothing until the
 * bound is reached. Past the bound the oldest records go first, each one counted.
 */
export interface BatchQueueOptions<T> {
  capacity: number;
  batchSize: number;
  /** A partial batch waits at most this long. */
  intervalMs: number;
  /** Rejects when the collector did not take the batch (it is tried again). */
  send(batch: T[]): Promise<void>;
  /** The longest wait between two tries of a failing batch. */
  maxBackoffMs?: number;
  onError?(message: string): void;
}

export interface BatchQueueCounts {
  /** Records taken by the collector. */
  sent: number;
  /** Records waiting, and in the batch being sent. */
  queued: number;
  /** Records dropped because the queue was full (the oldest first). */
  dropped: number;
  /** Sends that failed (each tried again). */
  failures: number;
  /** Records still unsent when the exporter stopped. */
  unsent_at_close: number;
}

export class BatchQueue<T> {
  private items: T[] = [];
  private head = 0;
  private inflight = 0;
  private busy = false;
  private backoffMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastError: string | undefined;
  readonly counts: BatchQueueCounts = { sent: 0, queued: 0, dropped: 0, failures: 0, unsent_at_close: 0 };

  constructor(private readonly o: BatchQueueOptions<T>) {
    if (!Number.isInteger(o.capacity) || o.capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${o.capacity}`);
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${o.batchSize}`);
  }

  get waiting(): number {
    return this.items.length - this.head;
  }

  status(): Record<string, number | string> {
    return { ...this.counts, queued: this.waiting + this.inflight, ...(this.lastError !== undefined ? { last_error: this.lastError } : {}) };
  }

  push(item: T): void {
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    if (this.waiting + this.inflight >= this.o.capacity) {
      if (this.waiting > 0) this.head++;
      else {
        // Everything held is in the batch on the wire: the newest is the only one that can go.
        this.counts.dropped++;
        return;
      }
      this.counts.dropped++;
    }
    this.items.push(item);
    this.compact();
    if (this.busy || this.backoffMs > 0) return;
    if (this.waiting >= this.o.batchSize) this.schedule(0);
    else if (!this.timer) this.schedule(this.o.intervalMs);
  }

  /** Sends what is held (trying again on failure) until it is gone or the deadline passes. */
  async close(deadlineMs = 2000): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const until = Date.now() + deadlineMs;
    while (Date.now() < until && (this.busy || this.waiting > 0)) {
      if (!this.busy) await this.sendOne();
      else await new Promise((r) => setTimeout(r, 20));
    }
    this.counts.unsent_at_close = this.waiting + this.inflight;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sendOne();
    }, ms);
    this.timer.unref();
  }

  private async sendOne(): Promise<void> {
    if (this.busy || this.waiting === 0) return;
    this.busy = true;
    const batch = this.items.slice(this.head, this.head + this.o.batchSize);
    this.head += batch.length;
    this.inflight = batch.length;
    this.compact();
    let ok = false;
    try {
      await this.o.send(batch);
      ok = true;
    } catch (e) {
      this.counts.failures++;
      this.lastError = e instanceof Error ? e.message : String(e);
      this.o.onError?.(this.lastError);
    }
    this.inflight = 0;
    this.busy = false;
    if (ok) {
      this.counts.sent += batch.length;
      this.backoffMs = 0;
      this.lastError = undefined;
      if (this.waiting >= this.o.batchSize) this.schedule(0);
      else if (this.waiting > 0) this.schedule(this.o.intervalMs);
      return;
    }
    // Put the batch back at the head; what no longer fits beside newer records is the oldest, dropped.
    const room = Math.max(0, this.o.capacity - this.waiting);
    const keep = batch.slice(batch.length - Math.min(room, batch.length));
    this.counts.dropped += batch.length - keep.length;
    this.items = [...keep, ...this.items.slice(this.head)];
    this.head = 0;
    this.backoffMs = Math.min(this.o.maxBackoffMs ?? 30_000, this.backoffMs === 0 ? 250 : this.backoffMs * 2);
    // While backing off, push() schedules nothing: the next try is this timer's.
    this.schedule(this.backoffMs);
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
