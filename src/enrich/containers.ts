// Which container a process runs in: its cgroup path names the container's id (podman's
// libpod-<id>, Docker's docker-<id>.scope or /docker/<id>, containerd's and CRI-O's), read from
// /proc when an exec is seen and remembered per pid. A process that exited before its record was
// read is placed by its eBPF cgroup id or its parent, since a child starts in its parent's cgroup.
// What the engine knows (name, image, privileged, host mounts and namespaces) comes from podman's
// state files at once, else from a Docker-compatible API socket in the background: judging never
// waits for an engine.
import { readFileSync } from "node:fs";
import type { ContainerInfo, Enricher, Event } from "../events/index.js";
import { inspectOverSocket, PodmanState, type EngineFacts } from "./container-engines.js";

const PATTERNS: readonly [RegExp, ContainerInfo["engine"]][] = [
  [/libpod-([0-9a-f]{64})(?:\.scope)?(?:\/|$)/, "podman"],
  [/docker-([0-9a-f]{64})\.scope/, "docker"],
  [/\/docker\/([0-9a-f]{64})(?:\/|$)/, "docker"],
  [/cri-containerd-([0-9a-f]{64})\.scope/, "containerd"],
  [/crio-([0-9a-f]{64})\.scope/, "crio"],
];

/** The container a /proc/<pid>/cgroup text names, if any (conmon's own cgroup is not one). */
export function containerOfCgroup(text: string): Pick<ContainerInfo, "id" | "engine"> | undefined {
  for (const line of text.split("\n")) {
    const path = line.slice(line.indexOf(":", line.indexOf(":") + 1) + 1);
    for (const [re, engine] of PATTERNS) {
      const m = re.exec(path);
      if (m) return { id: m[1]!, engine };
    }
  }
  return undefined;
}

export interface ContainerEnricherOptions {
  readCgroup?: (pid: number) => string | undefined;
  /** Podman's state on disk; null: not read. */
  podman?: { facts(id: string): EngineFacts | undefined } | null;
  /** Docker-compatible API sockets, asked in order for a container podman's state does not name. */
  sockets?: readonly string[];
  inspect?: (socket: string, id: string) => Promise<EngineFacts | undefined>;
  /** Pids remembered, at most; the oldest go first, counted. */
  maxPids?: number;
}

export class ContainerEnricher implements Enricher {
  readonly name = "containers";
  private readonly byPid = new Map<number, string | null>();
  private readonly byCgroupId = new Map<string, string>();
  private readonly known = new Map<string, ContainerInfo>();
  private readonly asked = new Set<string>();
  private readonly stats = { containers: 0, engine_lookups: 0, engine_unanswered: 0, evicted: 0 };
  private readonly readCgroup: (pid: number) => string | undefined;
  private readonly podman: { facts(id: string): EngineFacts | undefined } | null;
  private readonly sockets: readonly string[];
  private readonly inspect: (socket: string, id: string) => Promise<EngineFacts | undefined>;
  private readonly max: number;

  constructor(o: ContainerEnricherOptions = {}) {
    this.readCgroup = o.readCgroup ?? ((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cgroup`, "utf8");
      } catch {
        return undefined;
      }
    });
    this.podman = o.podman === undefined ? new PodmanState() : o.podman;
    this.sockets = o.sockets ?? [];
    this.inspect = o.inspect ?? ((s, id) => inspectOverSocket(s, id));
    this.max = o.maxPids ?? 65_536;
  }

  enrich(e: Event): void {
    const p = e.process;
    if (!p || p.pid === undefined) return;
    if (p.container) {
      // A recorded event (replay) already says: the children it names are placed by it.
      this.remember(p.pid, p.container.id);
      if (!this.known.has(p.container.id)) this.known.set(p.container.id, { ...p.container });
      return;
    }
    let id = this.byPid.get(p.pid);
    // An exec (or a pid not met yet) reads the cgroup: `podman exec` puts a new image in a container.
    if (id === undefined || e.kind === "exec") {
      const found = this.place(p.pid, p.ppid, p.cgroup_id);
      if (found === undefined) return;
      id = found;
      this.remember(p.pid, id);
    }
    if (id === null) return;
    if (p.cgroup_id !== undefined) this.byCgroupId.set(p.cgroup_id, id);
    const info = this.known.get(id);
    if (info) p.container = { ...info };
  }

  /** The container id of a pid, null for none, undefined when nothing can say. */
  private place(pid: number, ppid: number | undefined, cgroupId: string | undefined): string | null | undefined {
    const own = this.readCgroup(pid);
    if (own !== undefined) return this.learn(own);
    if (cgroupId !== undefined && this.byCgroupId.has(cgroupId)) return this.byCgroupId.get(cgroupId)!;
    if (ppid === undefined || ppid <= 1) return undefined;
    const parent = this.byPid.get(ppid);
    if (parent !== undefined) return parent;
    const text = this.readCgroup(ppid);
    if (text === undefined) return undefined;
    const id = this.learn(text);
    this.remember(ppid, id);
    return id;
  }

  private learn(cgroupText: string): string | null {
    const c = containerOfCgroup(cgroupText);
    if (!c) return null;
    if (!this.known.has(c.id)) {
      const info: ContainerInfo = { ...c, ...(c.engine === "podman" ? this.podman?.facts(c.id) : undefined) };
      this.known.set(c.id, info);
      this.stats.containers++;
      if (info.name === undefined) this.ask(info);
    }
    return c.id;
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

  private remember(pid: number, id: string | null): void {
    this.byPid.delete(pid);
    this.byPid.set(pid, id);
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
