import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";

export type FreezeMethod = "cgroup2" | "cgroup1-freezer" | "sigstop" | "container-pause";

/** A container whose engine pauses it (its own cgroup freezer, kept consistent with its state). */
export interface PausedContainer {
  engine: "podman" | "docker";
  id: string;
  name?: string;
}

const ENGINE_CLI: Record<PausedContainer["engine"], string[]> = {
  podman: ["/usr/bin/podman", "/usr/local/bin/podman", "/bin/podman"],
  docker: ["/usr/bin/docker", "/usr/local/bin/docker", "/bin/docker"],
};

function engineCli(engine: PausedContainer["engine"]): string {
  const bin = ENGINE_CLI[engine].find((p) => existsSync(p));
  if (!bin) throw new Error(`${engine} is not installed where clawav looks (${ENGINE_CLI[engine].join(", ")})`);
  return bin;
}

/** `podman pause ID` / `docker pause ID`; the id is 64 hex digits from the cgroup path, never a shell word. */
export function pauseContainer(c: PausedContainer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!/^[0-9a-f]{64}$/.test(c.id)) return reject(new Error(`not a container id: ${c.id}`));
    let bin: string;
    try {
      bin = engineCli(c.engine);
    } catch (e) {
      return reject(e instanceof Error ? e : new Error(String(e)));
    }
    execFile(bin, ["pause", c.id], { timeout: 15_000, encoding: "utf8" }, (err, _out, stderr) => {
      if (err) reject(new Error(`${c.engine} pause: ${(stderr || err.message).trim().split("\n").pop()}`));
      else resolve();
    });
  });
}

export interface Quarantined {
  agent: string;
  method: FreezeMethod;
  pids: number[];
  since: number;
  reason: string;
  /** The cgroup directory used, for the cgroup methods. */
  cgroup?: string;
  /** The container paused, for container-pause. */
  container?: PausedContainer;
}

/** Where the cgroup hierarchies are mounted (from /proc/mounts). */
export function cgroupMounts(mounts = readFileSync("/proc/mounts", "utf8")): { v2?: string; v1freezer?: string } {
  const out: { v2?: string; v1freezer?: string } = {};
  for (const line of mounts.split("\n")) {
    const [, dir, type, opts] = line.split(" ");
    if (!dir || !type) continue;
    if (type === "cgroup2") out.v2 ??= dir;
    if (type === "cgroup" && (opts ?? "").split(",").includes("freezer")) out.v1freezer ??= dir;
  }
  return out;
}

/** The methods that can work here, best first. */
export function availableMethods(m = cgroupMounts()): FreezeMethod[] {
  const out: FreezeMethod[] = [];
  if (m.v2) out.push("cgroup2");
  if (m.v1freezer) out.push("cgroup1-freezer");
  out.push("sigstop");
  return out;
}

/** Polls without blocking the event loop: the daemon goes on judging while a group freezes. */
async function waitUntil(check: () => boolean, ms = 2000): Promise<boolean> {
  for (let t = 0; t < ms; t += 10) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

/**
 * Freezes a set of processes so that they can do nothing until a person releases them: a cgroup
 * v2 freeze, else the v1 freezer, else SIGSTOP of every process (parents first, so that none can
 * reap or spawn while the others stop). Returns what was done, to be persisted and undone.
 */
export async function freeze(agent: string, pids: number[], method: FreezeMethod, reason: string, m = cgroupMounts(), container?: PausedContainer): Promise<Quarantined> {
  const name = `clawav-quarantine-${agent.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  const q: Quarantined = { agent, method, pids: [...pids], since: Date.now(), reason };
  if (method === "container-pause") {
    if (!container) throw new Error("no container to pause");
    await pauseContainer(container);
    q.container = container;
  } else if (method === "cgroup2") {
    if (!m.v2) throw new Error("no cgroup2 mount");
    const dir = join(m.v2, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "cgroup.freeze"), "1");
    for (const pid of pids) moveInto(join(dir, "cgroup.procs"), pid);
    if (!(await waitUntil(() => /^frozen 1$/m.test(readFileSync(join(dir, "cgroup.events"), "utf8"))))) throw new Error(`${dir} did not reach frozen`);
    q.cgroup = dir;
  } else if (method === "cgroup1-freezer") {
    if (!m.v1freezer) throw new Error("no cgroup v1 freezer mount");
    const dir = join(m.v1freezer, name);
    mkdirSync(dir, { recursive: true });
    for (const pid of pids) moveInto(join(dir, "cgroup.procs"), pid);
    writeFileSync(join(dir, "freezer.state"), "FROZEN");
    if (!(await waitUntil(() => readFileSync(join(dir, "freezer.state"), "utf8").trim() === "FROZEN"))) throw new Error(`${dir} did not reach FROZEN`);
    q.cgroup = dir;
  } else {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGSTOP");
      } catch {
        // gone already
      }
    }
  }
  return q;
}

/** A pid (and, for v2/v1, every new child, which the kernel puts in the same cgroup) into the frozen group. */
export function enforceOn(q: Quarantined, pid: number): void {
  // A paused container runs nothing new; `podman exec` into it is refused by the engine.
  if (q.method === "container-pause") return;
  if (q.cgroup) moveInto(join(q.cgroup, "cgroup.procs"), pid);
  else {
    try {
      process.kill(pid, "SIGSTOP");
    } catch {
      // gone
    }
  }
  if (!q.pids.includes(pid)) q.pids.push(pid);
}

/** Thaws, moves the processes back to the root group, and removes the quarantine group. */
export function thaw(q: Quarantined, m = cgroupMounts()): void {
  if (q.method === "container-pause" && q.container) {
    const r = spawnSync(engineCli(q.container.engine), ["unpause", q.container.id], { encoding: "utf8", timeout: 15_000 });
    // A container removed while paused is released already; anything else is said.
    if (r.status !== 0 && !/no such container|not paused/i.test(r.stderr ?? "")) throw new Error(`${q.container.engine} unpause: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
    return;
  }
  if (q.method === "sigstop" || !q.cgroup) {
    for (const pid of q.pids) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {
        // gone
      }
    }
    return;
  }
  const root = q.method === "cgroup2" ? m.v2! : m.v1freezer!;
  if (q.method === "cgroup2") writeFileSync(join(q.cgroup, "cgroup.freeze"), "0");
  else writeFileSync(join(q.cgroup, "freezer.state"), "THAWED");
  // Thawed processes may fork into the group while they are moved out: repeat until it is empty.
  for (let i = 0; i < 50; i++) {
    const left = readProcs(q.cgroup);
    if (left.length === 0) break;
    for (const pid of left) moveInto(join(root, "cgroup.procs"), pid);
  }
  try {
    rmdirSync(q.cgroup);
  } catch {
    // still busy after all that: the group stays, thawed, and is reused by the next quarantine
  }
}

function readProcs(dir: string): number[] {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function moveInto(procsFile: string, pid: number): void {
  try {
    writeFileSync(procsFile, String(pid));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

/** Processes of a uid (an agent by uid), from /proc. */
export function pidsOfUid(uid: number, exclude: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (const n of readdirSync("/proc")) {
    if (!/^\d+$/.test(n)) continue;
    const pid = Number(n);
    if (exclude.has(pid)) continue;
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m && Number(m[1]) === uid) out.push(pid);
    } catch {
      // gone
    }
  }
  return out;
}

/** The quarantine state, persisted 0600 so that a restarted daemon still knows who is frozen. */
export class QuarantineStore {
  private readonly agents = new Map<string, Quarantined>();

  constructor(private readonly file: string) {
    if (existsSync(file)) {
      try {
        for (const q of JSON.parse(readFileSync(file, "utf8")) as Quarantined[]) this.agents.set(q.agent, q);
      } catch {
        // unreadable state: nobody is known to be frozen; the cgroups say otherwise and release still works
      }
    }
  }

  get(agent: string): Quarantined | undefined {
    return this.agents.get(agent);
  }

  list(): Quarantined[] {
    return [...this.agents.values()];
  }

  put(q: Quarantined): void {
    this.agents.set(q.agent, q);
    this.save();
  }

  remove(agent: string): void {
    this.agents.delete(agent);
    this.save();
  }

  private save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.list(), null, 1), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
