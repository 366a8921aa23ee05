import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { etcHostsResolver, type ResolveHostFn } from "./hosts.js";

export interface RefreshOptions {
  /** DNS servers ("ip" or "ip:port"); default: the system's (/etc/resolv.conf). */
  servers?: readonly string[];
  /** Bounds on how soon a name is asked again, whatever its TTL says. */
  minTtlMs?: number;
  maxTtlMs?: number;
  timeoutMs?: number;
}

interface Entry {
  addresses: string[];
  due: number;
  failures: number;
}

export interface RefreshStatus {
  names: number;
  addresses: number;
  lookups: number;
  failures: number;
}

/**
 * The allowed names' addresses, asked of DNS and asked again when their TTL runs out: a CDN's
 * addresses change by the minute, and a connect to github.com's current address must be judged
 * as a connect to github.com. /etc/hosts answers too. Judging never waits on it: `table()` is
 * the latest answer, and `onChange` hears of every new one.
 */
export class AllowedNamesResolver {
  private readonly entries = new Map<string, Entry>();
  private readonly resolver: Resolver;
  private readonly hosts = etcHostsResolver();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly stats = { lookups: 0, failures: 0 };
  onChange: ((resolve: ResolveHostFn) => void) | undefined;

  constructor(
    private readonly names: readonly string[],
    private readonly o: RefreshOptions = {},
  ) {
    this.resolver = new Resolver({ timeout: o.timeoutMs ?? 2000, tries: 2 });
    if (o.servers && o.servers.length > 0) this.resolver.setServers([...o.servers]);
    for (const n of names) if (isIP(n) === 0) this.entries.set(n.toLowerCase(), { addresses: [], due: 0, failures: 0 });
  }

  /** Resolves every name once (bounded by the timeout), then keeps them fresh until stop(). */
  async start(): Promise<void> {
    await this.refreshDue(Date.now());
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  table(): ResolveHostFn {
    const snapshot = new Map([...this.entries].map(([k, v]) => [k, [...new Set([...v.addresses, ...this.hosts(k)])]]));
    return (h) => snapshot.get(h.toLowerCase()) ?? this.hosts(h);
  }

  status(): RefreshStatus {
    let addresses = 0;
    for (const e of this.entries.values()) addresses += e.addresses.length;
    return { names: this.entries.size, addresses, ...this.stats };
  }

  private schedule(): void {
    if (this.stopped || this.entries.size === 0) return;
    const next = Math.min(...[...this.entries.values()].map((e) => e.due));
    this.timer = setTimeout(() => {
      void this.refreshDue(Date.now()).then(() => this.schedule());
    }, Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private async refreshDue(now: number): Promise<void> {
    const min = this.o.minTtlMs ?? 30_000;
    const max = this.o.maxTtlMs ?? 3_600_000;
    let changed = false;
    await Promise.all(
      [...this.entries].filter(([, e]) => e.due <= now).map(async ([name, e]) => {
        this.stats.lookups++;
        const [v4, v6] = await Promise.all([this.resolver.resolve4(name, { ttl: true }).catch(() => []), this.resolver.resolve6(name, { ttl: true }).catch(() => [])]);
        const answers = [...v4, ...v6];
        if (answers.length === 0) {
          // A failed lookup keeps the last answer: a resolver that goes away must not make every connect look foreign.
          this.stats.failures++;
          e.failures++;
          e.due = now + Math.min(max, min * 2 ** Math.min(e.failures, 6));
          return;
        }
        e.failures = 0;
        const addresses = [...new Set(answers.map((a) => a.address.toLowerCase()))].sort();
        if (addresses.join(",") !== e.addresses.join(",")) changed = true;
        e.addresses = addresses;
        const ttl = Math.min(...answers.map((a) => a.ttl)) * 1000;
        e.due = now + Math.min(max, Math.max(min, ttl));
      }),
    );
    if (changed) this.onChange?.(this.table());
  }
}
