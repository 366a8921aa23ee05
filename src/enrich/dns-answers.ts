import type { Enricher, Event } from "../events/index.js";

export interface DnsAnswersOptions {
  /** How long an answer names its addresses for the process that asked (getaddrinfo gives no TTL). */
  windowMs?: number;
  /** Addresses remembered; the oldest go first, counted. */
  maxAddresses?: number;
}

interface Answer {
  name: string;
  pid: number;
  uid: number;
  ts: number;
}

/**
 * Names a connect's address after the name the same process (else the same user) resolved to it
 * shortly before, from the `dns` events of the DNS answers sensor: the answer came from the
 * system's resolver, so a process can only learn an allowed name's real addresses this way. A
 * name allowed ahead (HostNamesEnricher) is kept; an answer for a name that is not allowed names
 * the connect too, which the rules then judge as that name.
 */
export class DnsAnswersEnricher implements Enricher {
  readonly name = "dns-answers";
  private readonly byAddress = new Map<string, Answer[]>();
  private readonly windowMs: number;
  private readonly max: number;
  private evicted = 0;
  private named = 0;

  constructor(o: DnsAnswersOptions = {}) {
    this.windowMs = o.windowMs ?? 15 * 60_000;
    this.max = o.maxAddresses ?? 16_384;
  }

  enrich(e: Event): void {
    if (e.kind === "dns" && e.dns && e.process?.pid !== undefined && e.process.uid !== undefined) {
      for (const a of e.dns.addresses) this.remember(a.toLowerCase(), { name: e.dns.name, pid: e.process.pid, uid: e.process.uid, ts: e.ts });
      return;
    }
    const n = e.net;
    if (e.kind !== "net" || !n?.address || n.resolved_host !== undefined || !e.process) return;
    const a = n.address.toLowerCase();
    const list = this.byAddress.get(a) ?? this.byAddress.get(a.replace(/^::ffff:/, ""));
    if (!list) return;
    const fresh = list.filter((x) => e.ts - x.ts <= this.windowMs && x.uid === e.process!.uid);
    const best = fresh.find((x) => x.pid === e.process!.pid) ?? fresh[0];
    if (best) {
      n.resolved_host = best.name;
      this.named++;
    }
  }

  private remember(address: string, ans: Answer): void {
    const old = this.byAddress.get(address) ?? [];
    // Newest first, one per (pid, name), a few per address: a shared CDN address serves many names.
    const list = [ans, ...old.filter((x) => !(x.pid === ans.pid && x.name === ans.name))].slice(0, 8);
    this.byAddress.delete(address);
    this.byAddress.set(address, list);
    while (this.byAddress.size > this.max) {
      this.byAddress.delete(this.byAddress.keys().next().value!);
      this.evicted++;
    }
  }

  status(): Record<string, number> {
    return { addresses: this.byAddress.size, evicted: this.evicted, connects_named: this.named };
  }
}
