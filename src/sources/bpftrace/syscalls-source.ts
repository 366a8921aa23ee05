import { hrtime } from "node:process";
import { existsSync, readlinkSync } from "node:fs";
import type { Event, EventIdGenerator, ProcessInfo, Source, SourceStatus } from "../../events/index.js";
import { BpftraceRunner } from "./runner.js";
import { STRLEN, SyscallAssembler, isPlainPath, syscallProgram, type SyscallRecord } from "./syscalls.js";

export interface SyscallsSourceOptions {
  bpftrace: string;
  nodeId: string;
  ids: EventIdGenerator;
  /** Files and folders whose opens are events (the same the audit rules watch). */
  watchedPaths: readonly string[];
  /** First restart delay after bpftrace dies (doubles up to a minute). */
  backoffMs?: number;
}

const NR: Record<string, Record<string, number>> = {
  x64: { execve: 59, open: 2, openat: 257, connect: 42 },
  arm64: { execve: 221, openat: 56, connect: 203 },
};
const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

/** Failed execs that are a shell's or execvp's walk along PATH, not an attempt worth judging. */
const PATH_WALK = new Set([-2, -20]);
const EINPROGRESS = -115;

/**
 * Exec (full argv, as far as bpftrace reads it), opens of watched paths and inet connects, from
 * syscall tracepoints, with the cgroup id: the same facts auditd gives, sooner. bpftrace runs
 * supervised: restarted with backoff when it dies, each death a sensor event; the events the
 * kernel dropped are counted from bpftrace's reports. When auditd runs too, the pipeline judges a
 * call the two both saw once (pipeline/cross-source).
 */
export class SyscallsSource implements Source {
  readonly name = "ebpf";
  private emit: ((e: Event) => void) | undefined;
  private state: SourceStatus["state"] = "starting";
  private detail: string | undefined;
  private events = 0;
  private readonly asm = new SyscallAssembler();
  private readonly runner: BpftraceRunner;
  private readonly watched: readonly string[];
  /** Watched paths the program cannot name (characters outside plain paths): left to auditd. */
  readonly unwatchable: readonly string[];
  private readonly arch = ARCH[process.arch] ?? process.arch;
  private readonly nr = NR[process.arch] ?? {};

  constructor(private readonly o: SyscallsSourceOptions) {
    const absolute = o.watchedPaths.filter((p) => p.startsWith("/")).map((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p));
    this.watched = absolute.filter(isPlainPath);
    this.unwatchable = absolute.filter((p) => !isPlainPath(p));
    const program = syscallProgram({ watchedPaths: this.watched, excludePids: [process.pid], legacyOpen: existsSync("/sys/kernel/tracing/events/syscalls/sys_enter_open") });
    this.runner = new BpftraceRunner({
      bpftrace: o.bpftrace,
      program,
      env: { BPFTRACE_STRLEN: String(STRLEN) },
      // As auditd's default priority_boost (4): the two sensors of the same calls race evenly.
      nice: -4,
      ...(o.backoffMs !== undefined ? { backoffMs: o.backoffMs } : {}),
      onLine: (l) => this.onLine(l),
      onAttached: () => {
        this.state = "running";
        this.detail = `exec, connect and opens of ${this.watched.length} watched paths${this.unwatchable.length > 0 ? ` (${this.unwatchable.length} with unusual characters left to auditd)` : ""}`;
      },
      onDown: (why) => this.down(why),
    });
  }

  async start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    this.runner.start();
    await Promise.resolve();
  }

  /** The bpftrace child's pid, while it runs. */
  get childPid(): number | undefined {
    return this.runner.pid;
  }

  private onLine(line: string): void {
    const rec = this.asm.push(line);
    if (!rec) return;
    // bpftrace's own calls (it runs as a child of clawav, whose pid the program already skips).
    if (rec.pid === this.runner.pid) return;
    const e = this.toEvent(rec);
    if (!e) return;
    this.events++;
    this.emit?.(e);
  }

  private isWatched(path: string): boolean {
    return this.watched.some((w) => path === w || path.startsWith(w === "/" ? w : `${w}/`));
  }

  private toEvent(r: SyscallRecord): Event | undefined {
    const process: ProcessInfo = { pid: r.pid, ppid: r.ppid, uid: r.uid, euid: r.euid, auid: r.auid, argv: [], cgroup_id: r.cgroup };
    // The kernel's time of the call, on the wall clock (bpftrace's nsecs and Node's hrtime are
    // both CLOCK_MONOTONIC), so the copies of one call from auditd and from here agree on when.
    const ts = Date.now() - Math.max(0, Number(hrtime.bigint() - r.ns) / 1e6);
    const base = { id: this.o.ids.take(), ts: Math.round(ts), source: this.name, node_id: this.o.nodeId, fidelity: "kernel" as const };
    // /proc, read now, for what the tracepoints cannot name (the resolved executable, the
    // working folder); a process already gone leaves them unknown.
    const exe = readLink(`/proc/${r.pid}/exe`);
    const cwd = readLink(`/proc/${r.pid}/cwd`);
    if (cwd !== undefined) process.cwd = cwd;
    switch (r.kind) {
      case "exec": {
        if (r.ret !== 0 && PATH_WALK.has(r.ret)) return undefined;
        process.argv = r.argv;
        if (r.truncated) process.argv_truncated = true;
        process.comm = r.comm;
        // After a successful exec /proc names the new image; the filename is what was asked for.
        const image = r.ret === 0 ? exe : undefined;
        if (image !== undefined) process.exe = image;
        else if (r.filename.startsWith("/")) process.exe = r.filename;
        return { ...base, kind: "exec", process, syscall: this.syscall("execve", r.ret, r.ret === 0, []) };
      }
      case "open": {
        if (!this.isWatched(r.path)) return undefined;
        if (exe !== undefined) process.exe = exe;
        const flags = r.flags.toString(16);
        const args = r.syscall === "openat" ? ["ffffff9c", "0", flags, "0"] : ["0", flags, "0", "0"];
        return { ...base, kind: "file", process, syscall: this.syscall(r.syscall, r.ret, r.ret >= 0, args), file: { path: r.path, items: [{ name: r.path, nametype: "NORMAL" }] } };
      }
      case "connect": {
        if (exe !== undefined) process.exe = exe;
        return { ...base, kind: "net", process, syscall: this.syscall("connect", r.ret, r.ret === 0 || r.ret === EINPROGRESS, []), net: { family: r.family, address: r.address, port: r.port } };
      }
    }
  }

  private syscall(name: string, ret: number, success: boolean, args: string[]): NonNullable<Event["syscall"]> {
    return { name, nr: this.nr[name] ?? -1, arch: this.arch, success, exit: ret, args };
  }

  private down(why: string): void {
    this.state = "down";
    this.detail = why;
    this.emit?.({ id: this.o.ids.take(), ts: Date.now(), source: this.name, kind: "sensor", node_id: this.o.nodeId, fidelity: "kernel", sensor: { condition: "source_down:ebpf", detail: `${why}; restarting` } });
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    this.state = "stopped";
  }

  status(): SourceStatus {
    const c = this.runner.counts;
    return { name: this.name, state: this.state, events: this.events, parse_errors: this.asm.malformed + c.bad_output, drops: c.lost + this.asm.evicted, fidelity: "kernel", ...(this.detail !== undefined ? { detail: this.detail } : {}) };
  }

  details(): Record<string, unknown> {
    const c = this.runner.counts;
    return { lost_by_kernel: c.lost, restarts: c.restarts, paths_watched: this.watched.length, paths_left_to_auditd: this.unwatchable, calls_open: this.asm.open_calls, calls_evicted: this.asm.evicted, returns_without_entry: this.asm.orphans };
  }
}

function readLink(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}
