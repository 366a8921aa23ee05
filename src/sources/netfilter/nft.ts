// clawav's own nftables table: it logs the new outbound flows of the watched users and, with
// egress control on, drops (and logs) an agent's flows to anywhere not allowed. The script
// replaces the table in one transaction (`nft -f -`), so there is never a moment with half of it.

import { isIP } from "node:net";

export const TABLE = "clawav";

/** Which uids' flows are logged: every uid from `min` up (except some), or exactly these. */
export type UidSelector = { min: number; except: readonly number[] } | { uids: readonly number[] };

export interface EgressSpec {
  /** The agents' uids: everything else they send is dropped. */
  uids: readonly number[];
  /** Addresses and CIDRs they may reach (loopback always). */
  allowed: readonly string[];
  /** Resolvers they may ask (port 53), "ip" or "ip:port". */
  dns: readonly string[];
}

export interface TableSpec {
  log: UidSelector;
  /** The log prefix of a logged flow; drops get `${prefix}_DROP`. */
  prefix: string;
  /** Log lines a second, at most (the kernel's log is shared). */
  ratePerSecond: number;
  egress?: EgressSpec;
}

const uidMatch = (s: UidSelector): string | undefined => {
  if ("uids" in s) return s.uids.length === 0 ? undefined : `meta skuid { ${[...new Set(s.uids)].sort((a, b) => a - b).join(", ")} }`;
  const ex = [...new Set(s.except)].filter((u) => u >= s.min).sort((a, b) => a - b);
  return `meta skuid >= ${Math.trunc(s.min)}${ex.length > 0 ? ` meta skuid != { ${ex.join(", ")} }` : ""}`;
};

/** Splits addresses and CIDRs by family; anything else is refused (it would break the script). */
export function addressSets(items: readonly string[]): { v4: string[]; v6: string[] } {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  for (const raw of items) {
    const [addr, bits, extra] = raw.trim().split("/");
    const fam = isIP(addr ?? "");
    if (fam === 0 || extra !== undefined || (bits !== undefined && !/^\d{1,3}$/.test(bits)) || (bits !== undefined && Number(bits) > (fam === 4 ? 32 : 128))) throw new Error(`not an address or CIDR: ${JSON.stringify(raw)}`);
    (fam === 4 ? v4 : v6).add(bits === undefined ? addr! : `${addr}/${bits}`);
  }
  return { v4: [...v4].sort(), v6: [...v6].sort() };
}

/** "ip" or "ip:port" or "[v6]:port" → address and port (53 by default). */
export function dnsServer(s: string): { address: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?$/.exec(s);
  if (m) return { address: m[1]!, port: m[2] !== undefined ? Number(m[2]) : 53 };
  if (isIP(s) === 6) return { address: s, port: 53 };
  throw new Error(`not a DNS server address: ${JSON.stringify(s)}`);
}

export function tableScript(t: TableSpec): string {
  if (!/^[A-Z][A-Z0-9_]{0,20}$/.test(t.prefix)) throw new Error(`log prefix ${JSON.stringify(t.prefix)}: want capitals, digits and _ (at most 21)`);
  const rate = Math.max(1, Math.trunc(t.ratePerSecond));
  const limit = `limit rate ${rate}/second burst ${rate * 2} packets`;
  const lines: string[] = [
    `table inet ${TABLE}`,
    // Declared, then deleted and made again: the table is replaced whether or not it existed.
    `delete table inet ${TABLE}`,
    `table inet ${TABLE} {`,
  ];
  const e = t.egress;
  if (e && e.uids.length > 0) {
    const sets = addressSets(["127.0.0.0/8", "::1", ...e.allowed]);
    const dns = e.dns.map(dnsServer);
    const dns4 = addressSets(dns.map((d) => d.address)).v4;
    const dns6 = addressSets(dns.map((d) => d.address)).v6;
    lines.push(
      `  set egress_uids { type uid; elements = { ${[...new Set(e.uids)].sort((a, b) => a - b).join(", ")} } }`,
      `  set allowed4 { type ipv4_addr; flags interval; auto-merge; elements = { ${sets.v4.join(", ")} } }`,
      `  set allowed6 { type ipv6_addr; flags interval; auto-merge; elements = { ${sets.v6.join(", ")} } }`,
    );
    if (dns4.length > 0) lines.push(`  set dns4 { type ipv4_addr; elements = { ${dns4.join(", ")} } }`);
    if (dns6.length > 0) lines.push(`  set dns6 { type ipv6_addr; elements = { ${dns6.join(", ")} } }`);
    const ports = [...new Set(dns.map((d) => d.port))].sort((a, b) => a - b).join(", ");
    lines.push("  chain egress {");
    if (dns4.length > 0) lines.push(`    ip daddr @dns4 meta l4proto { tcp, udp } th dport { ${ports} } return`);
    if (dns6.length > 0) lines.push(`    ip6 daddr @dns6 meta l4proto { tcp, udp } th dport { ${ports} } return`);
    lines.push(
      // return, not accept: an allowed flow goes on to be logged like any other.
      "    ip daddr @allowed4 return",
      "    ip6 daddr @allowed6 return",
      `    ${limit} log prefix "${t.prefix}_DROP " flags skuid`,
      // A refused connect fails at once (not a timeout), so the agent and its owner see why.
      "    meta l4proto tcp reject with tcp reset",
      "    reject",
      "  }",
    );
  }
  lines.push("  chain output {", "    type filter hook output priority filter; policy accept;");
  if (e && e.uids.length > 0) lines.push("    oif lo accept", "    meta skuid @egress_uids jump egress");
  const who = uidMatch(t.log);
  if (who) lines.push(`    ${who} ct state new oif != lo ${limit} log prefix "${t.prefix} " flags skuid`);
  lines.push("  }", "}");
  return lines.join("\n") + "\n";
}
