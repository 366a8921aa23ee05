// The exec, open and connect program: tracepoints on the syscalls, so an event is read the moment
// the kernel sees it (auditd's come through its daemon and its log). Lines, one printf each:
//   E <tid> <who> <filename>                         execve entered
//   A <tid> <i> <arg>                                its argument i
//   T <tid>                                          it had more arguments than were read
//   X <tid> <ret> <ns> <euid> <comm>                 execve returned (euid, comm: the new image's)
//   O <tid> <who> <openat|open> <flags hex> <path>   open of a watched path
//   RO <tid> <ret> <ns>                              that open returned
//   C <tid> <who> 4 <port hex> <addr hex>            connect, IPv4
//   C <tid> <who> 6 <port hex> <hi hex>:<lo hex>     connect, IPv6
//   RC <tid> <ret> <ns>                              that connect returned
// where <who> is <pid> <ppid> <uid> <euid> <loginuid> <cgroup id>, and <ns> the kernel's
// CLOCK_MONOTONIC at the return (the event's time, as auditd's records carry theirs).
// Strings are bpftrace's str(), cut at BPFTRACE_STRLEN - 1 bytes.

import { decodeIpv4, decodeIpv6 } from "./gai.js";

/** bpftrace 0.17's largest string: 200 bytes with its NUL. */
export const STRLEN = 200;
/** Arguments of an exec read, at most (each costs the program a few instructions). */
export const MAX_ARGS = 24;

export interface SyscallProgramOptions {
  /** Paths whose opens are reported: a file, or a folder and everything under it. Absolute. */
  watchedPaths: readonly string[];
  /** Processes never reported (clawav itself). */
  excludePids: readonly number[];
  /** Whether the kernel has the legacy open(2) tracepoint (x86_64 does, aarch64 does not). */
  legacyOpen?: boolean;
}

/** Whether a path can be written into the program text as it is (watched paths come from config). */
export function isPlainPath(s: string): boolean {
  return /^\/[\w./@+,~-]*$/.test(s);
}

function cString(s: string): string {
  if (!isPlainPath(s)) throw new Error(`watched path ${JSON.stringify(s)}: only plain path characters can be watched by the eBPF sensor`);
  return `"${s}"`;
}

export function syscallProgram(o: SyscallProgramOptions): string {
  const self = o.excludePids.map((p) => `pid != ${Math.trunc(p)}`).join(" && ") || "1";
  const args: string[] = [];
  for (let i = 0; i < MAX_ARGS; i++) args.push(`  if (args->argv[${i}] == 0) { return; } printf("A %d ${i} %s\\n", tid, str(args->argv[${i}]));`);
  // The effective uid and the login uid (auditd's auid) too: a copy without them judges a setuid
  // program, or a root process a watched user started, as someone else's.
  const id = "tid, pid, curtask->real_parent->tgid, uid, curtask->cred->euid.val, curtask->loginuid.val, cgroup";
  // A folder matches itself and what is under it; the exact test is made again in clawav.
  const paths = [...new Set(o.watchedPaths.map((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p)))].filter((p) => p.length > 0);
  const match = paths.length === 0 ? "0" : paths.map((p) => `strncmp(str($p), ${cString(p)}, ${Buffer.byteLength(p)}) == 0`).join(" || ");
  const open = (tp: string, flags: string) => `tracepoint:syscalls:sys_enter_${tp} /${self}/ {
  $p = args->filename;
  if (${match}) { printf("O %d %d %d %d %d %d %d ${tp} %x %s\\n", ${id}, ${flags}, str($p)); @open[tid] = 1; }
}
tracepoint:syscalls:sys_exit_${tp} /@open[tid]/ { printf("RO %d %d %llu\\n", tid, args->ret, nsecs); delete(@open[tid]); }
`;
  return `tracepoint:syscalls:sys_enter_execve /${self}/ {
  printf("E %d %d %d %d %d %d %d %s\\n", ${id}, str(args->filename));
${args.join("\n")}
  if (args->argv[${MAX_ARGS}] != 0) { printf("T %d\\n", tid); }
}
tracepoint:syscalls:sys_exit_execve /${self}/ { printf("X %d %d %llu %d %s\\n", tid, args->ret, nsecs, curtask->cred->euid.val, comm); }
${open("openat", "args->flags")}${o.legacyOpen ? open("open", "args->flags") : ""}tracepoint:syscalls:sys_enter_connect /${self}/ {
  $sa = (uint64)args->uservaddr;
  $fam = *(uint16 *)$sa;
  if ($fam == 2) { printf("C %d %d %d %d %d %d %d 4 %x %x\\n", ${id}, *(uint16 *)($sa + 2), *(uint32 *)($sa + 4)); @conn[tid] = 1; }
  if ($fam == 10) { printf("C %d %d %d %d %d %d %d 6 %x %lx:%lx\\n", ${id}, *(uint16 *)($sa + 2), *(uint64 *)($sa + 8), *(uint64 *)($sa + 16)); @conn[tid] = 1; }
}
tracepoint:syscalls:sys_exit_connect /@conn[tid]/ { printf("RC %d %d %llu\\n", tid, args->ret, nsecs); delete(@conn[tid]); }
`;
}

/** The kernel's "no login uid" (bpftrace prints it as -1, signed). */
const UNSET_ID = 4294967295;

interface Who {
  pid: number;
  ppid: number;
  uid: number;
  euid: number;
  /** The login uid; null when unset (auditd's "unset", 4294967295). */
  auid: number | null;
  cgroup: string;
  /** CLOCK_MONOTONIC at the call's return, in ns (0n until it returns). */
  ns: bigint;
}

export type SyscallRecord =
  | ({ kind: "exec"; filename: string; argv: string[]; truncated: boolean; ret: number; comm: string } & Who)
  | ({ kind: "open"; path: string; flags: number; ret: number; syscall: "openat" | "open" } & Who)
  | ({ kind: "connect"; family: "inet" | "inet6"; address: string; port: number; ret: number } & Who);

interface Pending {
  at: number;
  rec: SyscallRecord;
}

/** Calls entered and not yet returned, at most (a thread killed in the call never returns). */
const MAX_PENDING = 8192;

/**
 * Turns the program's lines into whole calls: an entry waits for its return, keyed by thread. A
 * line that is not the program's is counted; it never throws.
 */
export class SyscallAssembler {
  private pending = new Map<number, Pending>();
  /** Lines that did not parse, and returns whose entry was never seen. */
  malformed = 0;
  orphans = 0;
  evicted = 0;

  /** Feeds one line; returns the call it completed, if any. */
  push(line: string, now = Date.now()): SyscallRecord | undefined {
    const sp = line.indexOf(" ");
    const tag = sp < 0 ? line : line.slice(0, sp);
    switch (tag) {
      case "E": {
        const m = /^E (\d+) (\d+) (\d+) (\d+) (\d+) (-?\d+) (\d+) ([\s\S]*)$/.exec(line);
        if (!m) return this.bad();
        this.open(Number(m[1]), { kind: "exec", ...who(m), filename: m[8]!, argv: [], truncated: false, ret: 0, comm: "" }, now);
        return undefined;
      }
      case "A": {
        const m = /^A (\d+) (\d+) ([\s\S]*)$/.exec(line);
        if (!m) return this.bad();
        const p = this.pending.get(Number(m[1]));
        if (p?.rec.kind !== "exec") return this.orphan();
        const arg = m[3]!;
        p.rec.argv[Number(m[2])] = arg;
        if (Buffer.byteLength(arg) >= STRLEN - 1) p.rec.truncated = true;
        return undefined;
      }
      case "T": {
        const p = this.pending.get(Number(line.slice(2)));
        if (p?.rec.kind !== "exec") return this.orphan();
        p.rec.truncated = true;
        return undefined;
      }
      case "X": {
        const m = /^X (\d+) (-?\d+) (\d+) (\d+) ([\s\S]*)$/.exec(line);
        if (!m) return this.bad();
        const rec = this.close(Number(m[1]), "exec");
        if (rec?.kind !== "exec") return this.orphan();
        rec.ret = Number(m[2]);
        rec.ns = BigInt(m[3]!);
        // A set-uid image changes the effective uid at the exec.
        if (rec.ret === 0) rec.euid = Number(m[4]);
        rec.comm = m[5]!;
        // Sparse when a line was lost: the argv has holes, and says so.
        if (rec.argv.some((a) => a === undefined) || rec.argv.length !== Object.keys(rec.argv).length) {
          rec.argv = Array.from(rec.argv, (a) => a ?? "");
          rec.truncated = true;
        }
        return rec;
      }
      case "O": {
        const m = /^O (\d+) (\d+) (\d+) (\d+) (\d+) (-?\d+) (\d+) (openat|open) ([0-9a-f]+) ([\s\S]*)$/.exec(line);
        if (!m) return this.bad();
        this.open(Number(m[1]), { kind: "open", ...who(m), syscall: m[8] as "openat" | "open", flags: parseInt(m[9]!, 16), path: m[10]!, ret: 0 }, now);
        return undefined;
      }
      case "RO":
      case "RC": {
        const m = /^R[OC] (\d+) (-?\d+) (\d+)$/.exec(line);
        if (!m) return this.bad();
        const rec = this.close(Number(m[1]), tag === "RO" ? "open" : "connect");
        if (!rec) return this.orphan();
        rec.ret = Number(m[2]);
        rec.ns = BigInt(m[3]!);
        return rec;
      }
      case "C": {
        const m = /^C (\d+) (\d+) (\d+) (\d+) (\d+) (-?\d+) (\d+) ([46]) ([0-9a-f]{1,4}) ([0-9a-f]{1,8}|[0-9a-f]{1,16}:[0-9a-f]{1,16})$/.exec(line);
        if (!m) return this.bad();
        const raw = parseInt(m[9]!, 16);
        // The port is in network order in memory; bpftrace read it as a little-endian u16.
        const port = ((raw & 0xff) << 8) | (raw >> 8);
        const address = m[8] === "4" ? decodeIpv4(m[10]!) : decodeIpv6(m[10]!);
        if (address === undefined) return this.bad();
        this.open(Number(m[1]), { kind: "connect", ...who(m), family: m[8] === "4" ? "inet" : "inet6", address, port, ret: 0 }, now);
        return undefined;
      }
      default:
        return this.bad();
    }
  }

  /** Calls still open (for status). */
  get open_calls(): number {
    return this.pending.size;
  }

  private open(tid: number, rec: SyscallRecord, now: number): void {
    this.pending.delete(tid);
    this.pending.set(tid, { at: now, rec });
    if (this.pending.size > MAX_PENDING) {
      this.pending.delete(this.pending.keys().next().value!);
      this.evicted++;
    }
  }

  private close(tid: number, kind: SyscallRecord["kind"]): SyscallRecord | undefined {
    const p = this.pending.get(tid);
    if (p?.rec.kind !== kind) return undefined;
    this.pending.delete(tid);
    return p.rec;
  }

  private bad(): undefined {
    this.malformed++;
    return undefined;
  }

  private orphan(): undefined {
    this.orphans++;
    return undefined;
  }
}

function who(m: RegExpExecArray): Who {
  const auid = Number(m[6]);
  return { pid: Number(m[2]), ppid: Number(m[3]), uid: Number(m[4]), euid: Number(m[5]), auid: auid === -1 || auid === UNSET_ID ? null : auid, cgroup: m[7]!, ns: 0n };
}
