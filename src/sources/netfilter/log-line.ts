// The kernel's log line of an nftables `log` rule: "PREFIX IN= OUT=eth0 SRC=… DST=… … PROTO=TCP
// SPT=… DPT=… … UID=1001 GID=1001", read from /dev/kmsg ("6,1234,5678901,-;PREFIX …") or from a
// syslog file ("… kernel: [ 12.345] PREFIX …").

export interface FlowLine {
  verdict: "logged" | "dropped";
  out?: string;
  src: string;
  dst: string;
  /** tcp, udp, icmp, icmpv6, or the number the kernel printed. */
  protocol: string;
  sport?: number;
  dport?: number;
  uid?: number;
  gid?: number;
}

const FIELD = /([A-Z]+)=(\S*)/g;

/**
 * The flow a line logs, if it carries `prefix` (or `${prefix}_DROP`); undefined for other lines.
 * A line with the prefix but without the addresses is malformed: `bad` says so.
 */
export function parseFlowLine(line: string, prefix: string): FlowLine | { bad: string } | undefined {
  const drop = `${prefix}_DROP `;
  const logged = `${prefix} `;
  let at = line.indexOf(drop);
  let verdict: FlowLine["verdict"] = "dropped";
  if (at < 0) {
    at = line.indexOf(logged);
    verdict = "logged";
    if (at < 0) return undefined;
  }
  const rest = line.slice(at + (verdict === "dropped" ? drop.length : logged.length));
  const f = new Map<string, string>();
  for (const m of rest.matchAll(FIELD)) if (!f.has(m[1]!)) f.set(m[1]!, m[2]!);
  const src = f.get("SRC");
  const dst = f.get("DST");
  const proto = f.get("PROTO");
  if (!src || !dst || !proto) return { bad: `no SRC, DST or PROTO after ${verdict === "dropped" ? drop.trim() : prefix}` };
  const num = (k: string): number | undefined => {
    const v = f.get(k);
    return v !== undefined && /^\d{1,10}$/.test(v) ? Number(v) : undefined;
  };
  const out: FlowLine = { verdict, src, dst, protocol: proto.toLowerCase() };
  const o = f.get("OUT");
  if (o) out.out = o;
  const sp = num("SPT");
  const dp = num("DPT");
  const uid = num("UID");
  const gid = num("GID");
  if (sp !== undefined) out.sport = sp;
  if (dp !== undefined) out.dport = dp;
  if (uid !== undefined) out.uid = uid;
  if (gid !== undefined) out.gid = gid;
  return out;
}
