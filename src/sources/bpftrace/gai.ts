// The names processes resolve through libc and the addresses they get back, read by a bpftrace
// uprobe on getaddrinfo. The program prints one line per address of a successful answer:
//   "4 <pid> <ppid> <uid> <addr as a little-endian u32, hex> <name> <comm>"
//   "6 <pid> <ppid> <uid> <first u64 hex>:<second u64 hex> <name> <comm>"
// (the name is a DNS name, without spaces; comm, last, may have them), and every 20 ms
//   "H <monotonic ns>"
// a heartbeat: every answer returned before that time has been printed (see readUpTo).
// (bpftrace 0.17 cannot cast to byte arrays, so the addresses are decoded here.)

/** How often the program says how far it has read. */
export const HEARTBEAT_MS = 20;

/** The heartbeat's monotonic time in ns, if the line is one. */
export function parseHeartbeat(line: string): bigint | undefined {
  const m = /^H (\d{1,20})$/.exec(line);
  return m ? BigInt(m[1]!) : undefined;
}

/** The usual places of the C library, first that exists wins. */
export const LIBC_CANDIDATES = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/usr/lib/aarch64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/usr/lib64/libc.so.6"];

/**
 * The bpftrace program for a libc at `libc`. struct addrinfo (x86_64 and aarch64): ai_family at
 * 4, ai_addr at 24, ai_next at 40; sockaddr_in's address at 4, sockaddr_in6's at 8. Up to 16
 * entries of one answer are read (getaddrinfo gives each address once per socket type).
 */
export function gaiProgram(libc: string): string {
  if (!/^\/[\w./+-]+$/.test(libc)) throw new Error(`libc path ${JSON.stringify(libc)}: want an absolute path of plain characters`);
  return `uprobe:${libc}:getaddrinfo { @gai_name[tid] = str(arg0); @gai_res[tid] = arg3; }
uretprobe:${libc}:getaddrinfo /@gai_res[tid]/ {
  if (retval == 0) {
    $ai = *(uint64 *)@gai_res[tid];
    unroll(16) {
      if ($ai != 0) {
        $fam = *(int32 *)($ai + 4);
        $sa = *(uint64 *)($ai + 24);
        if ($fam == 2) { printf("4 %d %d %d %x %s %s\\n", pid, curtask->real_parent->tgid, uid, *(uint32 *)($sa + 4), @gai_name[tid], comm); }
        if ($fam == 10) { printf("6 %d %d %d %lx:%lx %s %s\\n", pid, curtask->real_parent->tgid, uid, *(uint64 *)($sa + 8), *(uint64 *)($sa + 16), @gai_name[tid], comm); }
        $ai = *(uint64 *)($ai + 40);
      }
    }
  }
  delete(@gai_name[tid]);
  delete(@gai_res[tid]);
}
interval:ms:${HEARTBEAT_MS} { printf("H %llu\\n", nsecs); }
`;
}

export interface GaiAnswer {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  name: string;
  address: string;
}

/** Bytes of a u64 the probe read from memory (little-endian host) in memory order. */
function leBytes(hex: string, n: number): number[] {
  const v = BigInt(`0x${hex}`);
  return Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
}

function ipv6(bytes: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The canonical short form: the longest run of zero groups (two or more) becomes "::".
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > len && j - i >= 2) [best, len] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + len).join(":")}`;
}

/** An IPv4 address a probe read as a little-endian u32, in hex. */
export function decodeIpv4(hex: string): string | undefined {
  if (hex.includes(":") || hex.length > 8) return undefined;
  return leBytes(hex, 4).join(".");
}

/** An IPv6 address a probe read as two little-endian u64s, "first:second" in hex. */
export function decodeIpv6(hex: string): string | undefined {
  const [a, b, extra] = hex.split(":");
  if (a === undefined || b === undefined || extra !== undefined) return undefined;
  const bytes = [...leBytes(a, 8), ...leBytes(b, 8)];
  return bytes.slice(0, 12).join(",") === "0,0,0,0,0,0,0,0,0,0,255,255" ? `::ffff:${bytes.slice(12).join(".")}` : ipv6(bytes);
}

/** One line of the program's output, or undefined for anything else (bpftrace's own notices). */
export function parseGaiLine(line: string): GaiAnswer | undefined {
  const m = /^([46]) (\d+) (\d+) (\d+) ([0-9a-f]{1,8}|[0-9a-f]{1,16}:[0-9a-f]{1,16}) (\S+) (.*)$/.exec(line);
  if (!m) return undefined;
  const [, fam, pid, ppid, uid, addr, name, comm] = m;
  const address = fam === "4" ? decodeIpv4(addr!) : decodeIpv6(addr!);
  if (address === undefined) return undefined;
  return { pid: Number(pid), ppid: Number(ppid), uid: Number(uid), comm: comm!, name: name!.toLowerCase().replace(/\.$/, ""), address };
}
