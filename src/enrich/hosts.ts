import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { Enricher, Event } from "../events/index.js";

/** Host name → addresses, synchronously (resolved ahead of time; judging never waits on DNS). */
export type ResolveHostFn = (host: string) => readonly string[];

export const resolveNothing: ResolveHostFn = () => [];

/** Addresses of names from /etc/hosts. */
export function etcHostsResolver(path = "/etc/hosts"): ResolveHostFn {
  const table = new Map<string, string[]>();
  try {
    for (const line of readFileSync(path, "utf8").split("\n")) {
      const [addr, ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
      if (!addr || isIP(addr) === 0) continue;
      for (const n of names) table.set(n.toLowerCase(), [...(table.get(n.toLowerCase()) ?? []), addr]);
    }
  } catch {
    // no /etc/hosts: nothing resolves, connects are judged by CIDRs alone
  }
  return (h) => table.get(h.toLowerCase()) ?? [];
}

/**
 * Resolves host names once through the system resolver (bounded by `timeoutMs` per name), with
 * /etc/hosts beside it. CDN-served names change addresses, so a connect to an allowed name can
 * still look unlisted; allow their ranges in network.allowed_cidrs.
 */
export async function resolveHosts(names: readonly string[], timeoutMs = 2000): Promise<ResolveHostFn> {
  const { lookup } = await import("node:dns/promises");
  const fallback = etcHostsResolver();
  const table = new Map<string, string[]>();
  await Promise.all(
    names.map(async (h) => {
      if (isIP(h) !== 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<[]>((r) => (timer = setTimeout(() => r([]), timeoutMs)));
      const found = await Promise.race([lookup(h, { all: true }).then((a) => a.map((x) => x.address)).catch(() => [] as string[]), timeout]);
      clearTimeout(timer);
      table.set(h.toLowerCase(), [...new Set([...found, ...fallback(h)])]);
    }),
  );
  return (h) => table.get(h.toLowerCase()) ?? fallback(h);
}

/**
 * Names the address of a connect after the allowed host it was resolved from, so that a connect
 * to github.com's address is judged as a connect to github.com. Only names clawav resolved
 * itself count: a name the agent wrote in its arguments never excuses a connect.
 */
export class HostNamesEnricher implements Enricher {
  readonly name = "host-names";
  private byAddress = new Map<string, string>();

  constructor(names: readonly string[], resolve: ResolveHostFn) {
    this.update(names, resolve);
  }

  update(names: readonly string[], resolve: ResolveHostFn): void {
    const m = new Map<string, string>();
    for (const n of names) {
      if (isIP(n) !== 0) continue;
      for (const a of resolve(n)) if (!m.has(a.toLowerCase())) m.set(a.toLowerCase(), n);
    }
    this.byAddress = m;
  }

  enrich(e: Event): void {
    const n = e.net;
    if (!n?.address || n.resolved_host !== undefined) return;
    const a = n.address.toLowerCase();
    const name = this.byAddress.get(a) ?? this.byAddress.get(a.replace(/^::ffff:/, ""));
    if (name !== undefined) n.resolved_host = name;
  }

  status(): Record<string, number> {
    return { addresses: this.byAddress.size };
  }
}
