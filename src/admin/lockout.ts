// Wrong keys counted per client (a uid on the admin socket, an address on the web sign-in): the
// third locks that client out for an hour; a right key clears its count; other clients are
// judged apart. Bounded: clients that stopped trying long ago are forgotten first.
export class Lockout {
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private readonly maxFailures = 3,
    private readonly lockMs = 3_600_000,
    private readonly maxClients = 1024,
  ) {}

  /** Until when the client is locked out, or undefined when it may try. */
  lockedUntil(client: string, now: number): number | undefined {
    const f = this.failures.get(client);
    return f && f.lockedUntil > now ? f.lockedUntil : undefined;
  }

  /** A wrong key: the count after it, and the end of the lockout it just started, if it did. */
  fail(client: string, now: number): { count: number; lockedUntil?: number } {
    const f = this.failures.get(client);
    // A lockout that ran out starts the count afresh.
    const e = f && f.lockedUntil !== 0 && f.lockedUntil <= now ? { count: 0, lockedUntil: 0 } : (f ?? { count: 0, lockedUntil: 0 });
    e.count++;
    this.failures.delete(client);
    this.failures.set(client, e);
    if (this.failures.size > this.maxClients) this.failures.delete(this.failures.keys().next().value!);
    if (e.count < this.maxFailures) return { count: e.count };
    e.count = 0;
    e.lockedUntil = now + this.lockMs;
    return { count: this.maxFailures, lockedUntil: e.lockedUntil };
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }
}
