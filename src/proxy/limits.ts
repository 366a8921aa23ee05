// Per-key limits: requests in the last minute, and tokens (as the provider reports them) in the
// current UTC day. Kept in memory: they restart with the proxy.
import type { VirtualKey } from "./keys.js";

const day = (t: number): string => new Date(t).toISOString().slice(0, 10);

export class Limits {
  private readonly recent = new Map<string, number[]>();
  private readonly used = new Map<string, { day: string; tokens: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  private window(id: string): number[] {
    const now = this.clock();
    let w = this.recent.get(id);
    if (!w) this.recent.set(id, (w = []));
    while (w.length > 0 && w[0]! <= now - 60_000) w.shift();
    return w;
  }

  /** Why the key may not make a request now, or undefined. */
  check(k: VirtualKey): string | undefined {
    if (k.rpm > 0 && this.window(k.id).length >= k.rpm) return `the key ${k.id} made ${k.rpm} requests in the last minute, its limit`;
    if (k.tokens_per_day > 0 && this.tokensToday(k.id) >= k.tokens_per_day) return `the key ${k.id} used ${this.tokensToday(k.id)} tokens today (UTC), its limit is ${k.tokens_per_day}`;
    return undefined;
  }

  request(id: string): void {
    this.window(id).push(this.clock());
  }

  tokens(id: string, n: number): void {
    const today = day(this.clock());
    const u = this.used.get(id);
    if (!u || u.day !== today) this.used.set(id, { day: today, tokens: n });
    else u.tokens += n;
  }

  tokensToday(id: string): number {
    const u = this.used.get(id);
    return u && u.day === day(this.clock()) ? u.tokens : 0;
  }

  now(id: string): { tokens_today: number; requests_last_minute: number } {
    return { tokens_today: this.tokensToday(id), requests_last_minute: this.window(id).length };
  }
}
