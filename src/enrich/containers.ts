// Which container a process runs in: its cgroup path names the container's id (podman's
// libpod-<id>, Docker's docker-<id>.scope or /docker/<id>, containerd's and CRI-O's), read from
// /proc when an exec is seen and remembered per pid. A process that exited before its record was
// read is placed by its eBPF cgroup id or its parent, since a child starts in its parent's cgroup.
// What the engine knows (name, image, privileged, host mounts and namespaces) comes from podman's
// state files at once, else from a Docker-compatible API socket in the background: judging never
// waits for an engine.
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { ContainerInfo, Enricher, Event } from "../events/index.js";
import { inspectOverSocket, PodmanState, type EngineFacts } from "./container-engines.js";

const PATTERNS: readonly [RegExp, ContainerInfo["engine"]][] = [
  [/libpod-([0-9a-f]{64})(?:\.scope)?(?:\/|$)/, "podman"],
  [/docker-([0-9a-f]{64})\.scope/, "docker"],
  [/\/docker\/([0-9a-f]{64})(?:\/|$)/, "docker"],
  [/cri-containerd-([0-9a-f]{64})\.scope/, "containerd"],
  [/crio-([0-9a-f]{64})\.scope/, "crio"],
];

/** The container a cgroup path names, if any (conmon's own cgroup is not one). */
export function containerOfPath(path: string): Pick<ContainerInfo, "id" | "engine"> | undefined {
  for (const [re, engine] of PATTERNS) {
    const m = re.exec(path);
    if (m) return { id: m[1]!, engine };
  }
  return undefined;
}

/** The container a /proc/<pid>/cgroup text names, if any. */
export function containerOfCgroup(text: string): Pick<ContainerInfo, "id" | "engine"> | undefined {
  for (const line of text.split("\n")) {
    const c = containerOfPath(line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1));
    if (c) return c;
  }
  return undefined;
}

/**
 * The container a shim process watches over, from its command line: podman's conmon (`-c ID`,
 * `--cid ID`) and containerd's shims (`-id ID`, Docker's under `-namespace moby`). A shim lives
 * outside the container's cgroup, but its children (the container's init, each exec session's
 * command) are the container's: a short-lived one is placed by its shim when /proc has lost it.
 */
export function shimContainer(argv: readonly string[]): Pick<ContainerInfo, "id" | "engine"> | undefined {
  const prog = argv[0]?.slice(argv[0].lastIndexOf("/") + 1) ?? "";
  const after = (...flags: string[]) => {
    for (let i = 0; i < argv.length - 1; i++) if (flags.includes(argv[i]!)) return argv[i + 1];
    for (const a of argv) for (const f of flags) if (a.startsWith(`${f}=`)) return a.slice(f.length + 1);
    return undefined;
  };
  let id: string | undefined;
  let engine: ContainerInfo["engine"];
  if (prog === "conmon") {
    id = after("-c", "--cid");
    engine = "podman";
  } else if (prog.startsWith("containerd-shim")) {
    id = after("-id", "--id");
    engine = after("-namespace", "--namespace") === "moby" ? "docker" : "containerd";
  } else return undefined;
  return id !== undefined && /^[0-9a-f]{64}$/.test(id) ? { id, engine } : undefined;
}

/** The cgroup v2 mount (pure v2 or the hybrid layout's unified one), from /proc/mounts. */
function cgroup2Mount(): string | undefined {
  try {
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [, dir, type] = line.split(" ");
      if (type === "cgroup2" && dir) return dir;
    }
  } catch {
    // no /proc/mounts: no scan
  }
  return undefined;
}

/**
 * The containers' cgroup v2 folders by inode: the eBPF sensor's cgroup id is that inode, so a
 * process gone before /proc could be read is still placed. Depth-bounded; engines nest at most
 * a few levels (machine.slice/libpod-ID.scope/container).
 */
export function scanCgroupIds(root: string, maxDepth = 6, maxDirs = 20_000): Map<string, Pick<ContainerInfo, "id" | "engine">> {
  const out = new Map<string, Pick<ContainerInfo, "id" | "engine">>();
  let seen = 0;
  const walk = (dir: string, depth: number): void => {
    if (depth > maxDepth || seen > maxDirs) return;
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return;
    }
    for (const n of names) {
      seen++;
      const path = `${dir}/${n}`;
      const c = containerOfPath(`${path}/`);
      if (c) {
        try {
          out.set(String(statSync(path).ino), c);
        } catch {
          // gone meanwhile
        }
      }
      walk(path, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

/**
 * The runtime's own processes: crun (or runc) sets the container up from inside its cgroup
 * (mounts, pivot_root) before it execs the workload. They are the engine's, not the container's.
 */
const RUNTIME_COMMS = new Set(["crun", "runc", "youki", "runc:[0:PARENT]", "runc:[1:CHILD]", "runc:[2:INIT]", "conmon"]);

interface Placed {
  id: string | null;
  /** An exec was seen for it (or its parent) in a container: what runs is the container's workload. */
  workload: boolean;
  /** A host process that is no shim: a child of it that is gone was on the host too. */
  plain?: true;
}

export interface ContainerEnricherOptions {
  readCgroup?: (pid: number) => string | undefined;
  readCmdline?: (pid: number) => string[] | undefined;
  /** Podman's state on disk; null: not read. */
  podman?: { facts(id: string): EngineFacts | undefined } | null;
  /** Docker-compatible API sockets, asked in order for a container podman's state does not name. */
  sockets?: readonly string[];
  inspect?: (socket: string, id: string) => Promise<EngineFacts | undefined>;
  /** Pids remembered, at most; the oldest go first, counted. */
  maxPids?: number;
  /** Where cgroup v2 is mounted, scanned for an eBPF cgroup id not met yet; null: never. */
  cgroupRoot?: string | null;
  /** Milliseconds between two scans, at least. */
  scanEveryMs?: number;
}

export class ContainerEnricher implements Enricher {
  readonly name = "containers";
  private readonly byPid = new Map<number, Placed>();
  /** eBPF cgroup ids placed so far: a container's id, or null for a host cgroup (asked once, not scanned for). */
  private readonly byCgroupId = new Map<string, string | null>();
  private readonly known = new Map<string, ContainerInfo>();
  private readonly asked = new Set<string>();
  private readonly stats = { containers: 0, engine_lookups: 0, engine_unanswered: 0, runtime_events: 0, cgroup_scans: 0, placed_by_shim: 0, evicted: 0 };
  private readonly readCgroup: (pid: number) => string | undefined;
  private readonly readCmdline: (pid: number) => string[] | undefined;
  private readonly podman: { facts(id: string): EngineFacts | undefined } | null;
  private readonly sockets: readonly string[];
  private readonly inspect: (socket: string, id: string) => Promise<EngineFacts | undefined>;
  private readonly max: number;
  private readonly cgroupRoot: string | undefined;
  private readonly scanEveryMs: number;
  private scannedAt = -Infinity;

  constructor(o: ContainerEnricherOptions = {}) {
    this.readCgroup = o.readCgroup ?? ((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cgroup`, "utf8");
      } catch {
        return undefined;
      }
    });
    this.readCmdline = o.readCmdline ?? ((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a, i, all) => a !== "" || i < all.length - 1);
      } catch {
        return undefined;
      }
    });
    this.podman = o.podman === undefined ? new PodmanState() : o.podman;
    this.sockets = o.sockets ?? [];
    this.inspect = o.inspect ?? ((s, id) => inspectOverSocket(s, id));
    this.max = o.maxPids ?? 65_536;
    this.cgroupRoot = o.cgroupRoot === undefined ? cgroup2Mount() : (o.cgroupRoot ?? undefined);
    this.scanEveryMs = o.scanEveryMs ?? 1000;
  }

  enrich(e: Event): void {
    const p = e.process;
    if (!p || p.pid === undefined) return;
    if (p.container) {
      // A recorded event (replay) already says: the children it names are placed by it.
      const had = this.byPid.get(p.pid);
      if (had?.id !== p.container.id || !had.workload) this.remember(p.pid, p.container.id, true);
      if (!this.known.has(p.container.id)) this.known.set(p.container.id, { ...p.container });
      return;
    }
    const had = this.byPid.get(p.pid);
    let id = had?.id;
    // An exec (or a pid not met yet) reads the cgroup: `podman exec` puts a new image in a container.
    if (id === undefined || e.kind === "exec") {
      const found = this.place(p.pid, p.ppid, p.cgroup_id);
      if (found === undefined) return;
      id = found.id;
      // The cgroup id is that container's; "host" only when read from the process itself (a
      // gone child of a host parent may still have been in a container's cgroup).
      if (p.cgroup_id !== undefined && (id !== null || found.own) && this.byCgroupId.get(p.cgroup_id) !== id) this.rememberCgroup(p.cgroup_id, id);
    }
    // conmon execs crun, which then joins the container's cgroup: an exec of the runtime is not the workload's.
    const runtime = p.comm !== undefined && RUNTIME_COMMS.has(p.comm);
    const workload = (e.kind === "exec" && e.syscall?.success !== false && !runtime) || had?.workload === true || (p.ppid !== undefined && this.byPid.get(p.ppid)?.workload === true);
    // Most events are of a pid already placed: nothing to write for them.
    if (had?.id !== id || had.workload !== workload) this.remember(p.pid, id, workload);
    if (id === null) return;
    // The runtime setting the container up is not the container's doing. Only a process never seen
    // to exec in it counts as the runtime: a workload that renames itself crun stays the workload.
    if (!workload && runtime) {
      this.stats.runtime_events++;
      return;
    }
    const info = this.known.get(id);
    if (info) p.container = { ...info };
  }

  /**
   * The container id of a pid (null for none; `own` when read from the process itself), undefined
   * when nothing can say. A process already gone (most short-lived host commands) is answered from
   * what is remembered before anything is read again: its cgroup id, then its parent.
   */
  private place(pid: number, ppid: number | undefined, cgroupId: string | undefined): { id: string | null; own: boolean } | undefined {
    const own = this.readCgroup(pid);
    if (own !== undefined) return { id: this.learn(own), own: true };
    if (cgroupId !== undefined) {
      const known = this.byCgroupId.get(cgroupId);
      if (known !== undefined) return { id: known, own: false };
      const scanned = this.scanFor(cgroupId);
      if (scanned !== undefined) return { id: scanned, own: false };
    }
    if (ppid === undefined || ppid <= 1) return undefined;
    // From the parent, a container is an answer, and so is a plain host process; a parent on the
    // host that may be a shim or a runtime (it joins children to containers) is looked at first.
    const parent = this.byPid.get(ppid);
    if (parent?.id) return { id: parent.id, own: false };
    if (parent?.plain) return { id: null, own: false };
    const text = this.readCgroup(ppid);
    const id = text === undefined ? null : this.learn(text);
    if (id !== null) {
      this.remember(ppid, id, false);
      return { id, own: false };
    }
    const shim = this.readCmdline(ppid);
    const c = shim ? shimContainer(shim) : undefined;
    if (!c) {
      if (text === undefined || shim === undefined) return undefined;
      this.remember(ppid, null, parent?.workload ?? false, true);
      return { id: null, own: false };
    }
    this.know(c);
    this.stats.placed_by_shim++;
    return { id: c.id, own: false };
  }

  private rememberCgroup(cgroupId: string, id: string | null): void {
    this.byCgroupId.delete(cgroupId);
    this.byCgroupId.set(cgroupId, id);
    // Bounded like the pids: cgroups of containers long gone go first.
    if (this.byCgroupId.size > this.max) this.byCgroupId.delete(this.byCgroupId.keys().next().value!);
  }

  /** A cgroup id not met yet: the containers' folders are scanned again, at most once a second. */
  private scanFor(cgroupId: string): string | undefined {
    const now = Date.now();
    if (this.cgroupRoot === undefined || now - this.scannedAt < this.scanEveryMs) return undefined;
    this.scannedAt = now;
    this.stats.cgroup_scans++;
    for (const [ino, c] of scanCgroupIds(this.cgroupRoot)) {
      this.rememberCgroup(ino, c.id);
      this.know(c);
    }
    return this.byCgroupId.get(cgroupId) ?? undefined;
  }

  private learn(cgroupText: string): string | null {
    const c = containerOfCgroup(cgroupText);
    if (!c) return null;
    this.know(c);
    return c.id;
  }

  private know(c: Pick<ContainerInfo, "id" | "engine">): void {
    if (!this.known.has(c.id)) {
      const info: ContainerInfo = { ...c, ...(c.engine === "podman" ? this.podman?.facts(c.id) : undefined) };
      this.known.set(c.id, info);
      this.stats.containers++;
      // An agent with an engine can make containers without end: the oldest are forgotten first.
      if (this.known.size > 4096) this.known.delete(this.known.keys().next().value!);
      if (info.name === undefined) this.ask(info);
    }
  }

  private ask(info: ContainerInfo): void {
    if (this.sockets.length === 0 || this.asked.has(info.id)) return;
    this.asked.add(info.id);
    this.stats.engine_lookups++;
    void (async () => {
      for (const s of this.sockets) {
        const r = await this.inspect(s, info.id);
        if (r) {
          Object.assign(info, r);
          return;
        }
      }
      this.stats.engine_unanswered++;
      // Asked again after a minute: the engine may have been busy creating it.
      setTimeout(() => this.asked.delete(info.id), 60_000).unref();
    })();
  }

  private remember(pid: number, id: string | null, workload: boolean, plain?: true): void {
    this.byPid.delete(pid);
    this.byPid.set(pid, plain ? { id, workload, plain } : { id, workload });
    if (this.byPid.size > this.max) {
      this.byPid.delete(this.byPid.keys().next().value!);
      this.stats.evicted++;
    }
  }

  /** The containers met so far (for /api/status). */
  containers(): ContainerInfo[] {
    return [...this.known.values()].map((c) => ({ ...c }));
  }

  status(): Record<string, number> {
    return { ...this.stats, pids: this.byPid.size };
  }
}
