import { readFileSync, readlinkSync, readdirSync } from "node:fs";

export interface KillTarget {
  pid: number;
  /** The executable the event saw; a pid now running something else was reused: never kill it. */
  exe: string;
  tree: boolean;
}

export type KillResult = { ok: true; killed: number[] } | { ok: false; reason: string; killed: number[] };

/** Who may never be killed, whatever a rule says. */
export interface KillGuard {
  /** pids of clawav and its ancestors. */
  protectedPids: ReadonlySet<number>;
  /** Only processes of watched uids are ever killed. */
  watched: (uid: number) => boolean;
}

/** pids of this process and its ancestors up to init. */
export function selfAndAncestors(): Set<number> {
  const out = new Set<number>([1, process.pid]);
  let pid = process.ppid;
  for (let i = 0; i < 64 && pid > 1 && !out.has(pid); i++) {
    out.add(pid);
    pid = ppidOf(pid) ?? 0;
  }
  return out;
}

/**
 * SIGKILL the offending process (and, for kill_tree, its descendants, leaves first is not needed
 * with SIGKILL: a dead parent cannot spawn). Refuses pid 1, clawav and its ancestors, processes
 * of unwatched users, and a pid that no longer runs the event's executable (reused pid).
 */
export function killProcess(t: KillTarget, g: KillGuard, kill: (pid: number) => void = (p) => process.kill(p, "SIGKILL")): KillResult {
  const killed: number[] = [];
  const refuse = checkTarget(t.pid, t.exe, g);
  if (refuse) return { ok: false, reason: refuse, killed };
  const victims = t.tree ? [t.pid, ...descendants(t.pid)] : [t.pid];
  for (const pid of victims) {
    if (pid !== t.pid && checkTarget(pid, undefined, g)) continue;
    try {
      kill(pid);
      killed.push(pid);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (pid === t.pid) return { ok: false, reason: code === "ESRCH" ? "process already gone" : `kill refused (${code ?? String(e)})`, killed };
    }
  }
  return { ok: true, killed };
}

function checkTarget(pid: number, exe: string | undefined, g: KillGuard): string | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return `refusing to kill pid ${pid}`;
  if (g.protectedPids.has(pid)) return `refusing to kill pid ${pid}: clawav itself or one of its ancestors`;
  const uid = uidOf(pid);
  if (uid === undefined) return "process already gone";
  if (!g.watched(uid)) return `refusing to kill pid ${pid}: uid ${uid} is not watched`;
  if (exe !== undefined && exe !== "") {
    let now: string;
    try {
      now = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return "process already gone";
    }
    if (now.replace(/ \(deleted\)$/, "") !== exe.replace(/ \(deleted\)$/, "")) return `pid ${pid} now runs ${now}, not ${exe}: the process is gone and its pid reused`;
  }
  return undefined;
}

function uidOf(pid: number): number | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function ppidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** All descendants of pid, from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const n of readdirSync("/proc")) {
    if (!/^\d+$/.test(n)) continue;
    const pp = ppidOf(Number(n));
    if (pp === undefined) continue;
    const l = children.get(pp);
    if (l) l.push(Number(n));
    else children.set(pp, [Number(n)]);
  }
  const out: number[] = [];
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}
