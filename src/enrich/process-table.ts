import type { ContainerInfo, Event, LineageEntry } from "../events/index.js";

/** What the table knows of one process. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  uid: number;
  exe: string;
  argv0: string;
  /** The argv of the image's EXECVE record (absent when the table learned of it otherwise, or it was too long to keep). */
  argv?: string[];
  /** The argv of the images this pid ran before (newest first, at most two), for stale PROCTITLEs. */
  prior?: string[][];
}

/** Longest argv (in characters) the table keeps per process. */
const MAX_KEPT_ARGV = 8192;
const keepable = (argv: readonly string[]) => argv.reduce((n, a) => n + a.length + 1, 0) <= MAX_KEPT_ARGV;

/** Reads one process from /proc in the live daemon; absent in replay so replay stays deterministic. */
export type ProcLookup = (pid: number) => ProcEntry | undefined;

export interface AgentSpec {
  name: string;
  uid?: number;
  command?: string;
  /** A container (its name, or its id or an id prefix of at least 12 hex digits): every process in it. */
  container?: string;
}

/** Does the container the event names match an agent's container selector? */
export function matchesContainer(sel: string, c: ContainerInfo | undefined): boolean {
  if (!c) return false;
  if (c.name === sel) return true;
  return /^[0-9a-f]{12,64}$/.test(sel) && c.id.startsWith(sel);
}

export interface ProcessTableOptions {
  maxEntries?: number;
  maxDepth?: number;
  lookup?: ProcLookup;
  agents?: readonly AgentSpec[];
  /** The default agent of a watched uid (its user name), or undefined when the uid is not watched. */
  defaultAgent?: (uid: number, user: string | undefined) => string | undefined;
}

/**
 * A process table with lineage, fed by exec events (and /proc for processes that started before
 * clawav did). Bounded: the oldest entries go first, and evictions are counted.
 */
export class ProcessTable {
  private readonly entries = new Map<number, ProcEntry>();
  private readonly roots = new Map<number, string>();
  private readonly maxEntries: number;
  private readonly maxDepth: number;
  private readonly lookup: ProcLookup | undefined;
  private readonly agents: readonly AgentSpec[];
  private readonly defaultAgent: (uid: number, user: string | undefined) => string | undefined;
  evictions = 0;
  lookups = 0;

  constructor(opts: ProcessTableOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 65_536;
    this.maxDepth = opts.maxDepth ?? 16;
    this.lookup = opts.lookup;
    this.agents = opts.agents ?? [];
    this.defaultAgent = opts.defaultAgent ?? (() => undefined);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Marks a process tree as an agent's (e.g. registered by `clawav exec`). */
  registerRoot(pid: number, agent: string): void {
    this.roots.set(pid, agent);
  }

  unregisterRoot(pid: number): void {
    this.roots.delete(pid);
  }

  get(pid: number): ProcEntry | undefined {
    const e = this.entries.get(pid);
    if (e || !this.lookup) return e;
    this.lookups++;
    const found = this.lookup(pid);
    if (!found) return undefined;
    // /proc's command line is the current image's: worth keeping (a child's stale PROCTITLE is
    // recognised by it), within the same bound as an EXECVE's argv.
    if (found.argv && !keepable(found.argv)) delete found.argv;
    this.put(found);
    return found;
  }

  /** Records what an event says about its process; exec events replace the pid's image. */
  observe(event: Event): void {
    const p = event.process;
    // A DNS answer names the asking pid but not its executable: it teaches the table nothing.
    // A record cut before its pid names no process to remember.
    if (!p || event.kind === "dns" || p.pid === undefined) return;
    const ppid = p.ppid ?? -1, uid = p.uid ?? -1, exe = p.exe ?? "", comm = p.comm ?? "";
    if (event.kind === "exec") {
      const old = this.entries.get(p.pid);
      const prior = old && old.ppid === ppid ? [...(old.argv ? [old.argv] : []), ...(old.prior ?? [])].slice(0, 2) : [];
      const kept = keepable(p.argv) && p.argv_truncated !== true;
      this.put({ pid: p.pid, ppid, uid, exe: own(exe), argv0: own(p.argv[0] ?? comm), ...(kept ? { argv: p.argv.map(own) } : {}), ...(prior.length > 0 ? { prior } : {}) });
    } else if (!this.entries.has(p.pid)) {
      this.put({ pid: p.pid, ppid, uid, exe: own(exe), argv0: own(p.argv[0] ?? comm) });
    }
  }

  /**
   * The kernel's audit context caches PROCTITLE at a task's first audited record and keeps it
   * across execve, so after `bash -c "cd x && pip install y"` (bash execs its last command) the
   * records of pip still carry bash's, or even the forking parent's, command line. When an
   * event's argv is exactly an earlier image of this pid or its parent's, the argv of the pid's
   * current image (from its EXECVE record) is the truth.
   */
  private freshArgv(event: Event): void {
    const p = event.process;
    if (!p || event.kind === "exec" || p.pid === undefined || p.ppid === undefined) return;
    const cur = this.entries.get(p.pid);
    if (!cur?.argv || cur.exe !== p.exe || cur.ppid !== p.ppid || sameImage(p.argv, cur.argv)) return;
    const parent = this.entries.get(p.ppid);
    const earlier = [...(cur.prior ?? []), ...(parent?.argv ? [parent.argv] : [])];
    if (!earlier.some((img) => sameImage(p.argv, img))) return;
    p.argv = [...cur.argv];
    delete p.argv_truncated;
  }

  /** Ancestors of a process, nearest first, as far as the table (and /proc) know them. */
  lineage(pid: number, ppid: number): LineageEntry[] {
    const out: LineageEntry[] = [];
    const seen = new Set<number>([pid]);
    let cur = ppid;
    while (cur > 0 && out.length < this.maxDepth && !seen.has(cur)) {
      seen.add(cur);
      const e = this.get(cur);
      if (!e) {
        out.push({ pid: cur, exe: "?" });
        break;
      }
      out.push({ pid: cur, exe: e.exe });
      cur = e.ppid;
    }
    return out;
  }

  /** Observes the event, then fills in process.lineage and process.agent. */
  enrich(event: Event): Event {
    this.freshArgv(event);
    this.observe(event);
    const p = event.process;
    if (!p) return event;
    const pid = p.pid ?? -1;
    // A DNS answer knows the pid that asked, not its executable. It comes live (bpftrace), often
    // before auditd's record of the exec that made the asker what it is: /proc, read now, knows the
    // current image where the table may still hold the one before it (runuser before getent).
    if (event.kind === "dns" && !p.exe) {
      // One /proc read, not two: get() would read it again for a pid the table has not met.
      let live: ProcEntry | undefined;
      if (this.lookup && pid > 0) {
        this.lookups++;
        live = this.lookup(pid);
      }
      const exe = (live ?? this.entries.get(pid))?.exe;
      // The answer's comm (the kernel's, at the lookup) names the image: an exe that is not it is
      // stale. (Prefixes either way: python3 runs /usr/bin/python3.11, comm is cut at 15 bytes.)
      const name = exe?.slice(exe.lastIndexOf("/") + 1) ?? "";
      const fits = exe !== undefined && (p.comm === undefined || name.startsWith(p.comm) || p.comm.startsWith(name));
      if (fits) p.exe = exe;
    }
    p.lineage = p.pid === undefined ? [] : this.lineage(p.pid, p.ppid ?? -1);
    // On execs only: that is where a parent's command line is judged (Sigma's ParentCommandLine),
    // and every file or connect event carrying it would grow the chain for nothing.
    const parentArgv = event.kind === "exec" && p.ppid !== undefined ? this.get(p.ppid)?.argv : undefined;
    if (parentArgv) p.parent_argv = parentArgv;
    const agent = this.agentOf(pid, p.uid ?? -1, p.user, p.exe ?? "", p.argv[0], p.lineage, p.container);
    if (agent !== undefined) p.agent = agent;
    return event;
  }

  private agentOf(pid: number, uid: number, user: string | undefined, exe: string, argv0: string | undefined, lineage: LineageEntry[], container: ContainerInfo | undefined): string | undefined {
    const rooted = this.roots.get(pid) ?? firstDefined(lineage, (l) => this.roots.get(l.pid));
    if (rooted !== undefined) return rooted;
    // A container is a boundary the engine keeps: whatever runs in it is its agent's.
    if (container) for (const a of this.agents) if (a.container !== undefined && matchesContainer(a.container, container)) return a.name;
    for (const a of this.agents) {
      if (a.command === undefined) continue;
      if (matchesCommand(a.command, exe, argv0) || lineage.some((l) => matchesCommand(a.command!, l.exe, this.entries.get(l.pid)?.argv0))) return a.name;
    }
    for (const a of this.agents) if (a.command === undefined && a.container === undefined && a.uid === uid) return a.name;
    return this.defaultAgent(uid, user);
  }

  private put(e: ProcEntry): void {
    this.entries.delete(e.pid);
    this.entries.set(e.pid, e);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
      this.evictions++;
    }
  }
}

/**
 * A copy of a string that shares no memory with its source. The parser's strings are cut from the
 * 1 MiB chunk they were read in, and V8 keeps a whole chunk alive for any piece of it: a table of
 * 65,536 processes held ~100 chunks that way.
 */
function own(s: string): string {
  return s.length === 0 ? s : Buffer.from(s, "utf8").toString("utf8");
}

/** Is `seen` this argv, or its start cut at PROCTITLE's 128 bytes (the last word may be cut short)? */
function sameImage(seen: readonly string[], argv: readonly string[]): boolean {
  if (seen.length === 0 || seen.length > argv.length) return false;
  for (let i = 0; i < seen.length - 1; i++) if (seen[i] !== argv[i]) return false;
  const last = seen.length - 1;
  return seen[last] === argv[last] || (seen.length <= argv.length && argv[last]!.startsWith(seen[last]!));
}

function baseName(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

function matchesCommand(command: string, exe: string, argv0: string | undefined): boolean {
  if (command.includes("/")) return exe === command;
  return baseName(exe) === command || (argv0 !== undefined && baseName(argv0) === command);
}

function firstDefined<T, R>(xs: readonly T[], f: (x: T) => R | undefined): R | undefined {
  for (const x of xs) {
    const r = f(x);
    if (r !== undefined) return r;
  }
  return undefined;
}
