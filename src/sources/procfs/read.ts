import { readFileSync, readlinkSync } from "node:fs";

/** One process as /proc shows it; any field may be unreadable (the process is gone, or not ours). */
export interface ProcSnapshot {
  pid: number;
  ppid: number;
  uid: number;
  euid: number;
  gid: number;
  /** Clock ticks since boot: with the pid, a process's identity (pids are reused). */
  starttime: number;
  exe: string;
  comm: string;
  argv: string[];
  cwd?: string;
}

/** Reads /proc/PID; undefined when the process is gone. Never throws. */
export function readProc(pid: number, root = "/proc"): ProcSnapshot | undefined {
  const base = `${root}/${pid}`;
  let stat: string;
  let status: string;
  try {
    stat = readFileSync(`${base}/stat`, "utf8");
    status = readFileSync(`${base}/status`, "utf8");
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself contain ") ": the last ")" ends it.
  const close = stat.lastIndexOf(")");
  const comm = stat.slice(stat.indexOf("(") + 1, close);
  const rest = stat.slice(close + 2).split(" ");
  const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  const gids = /^Gid:\s+(\d+)/m.exec(status);
  const snap: ProcSnapshot = {
    pid,
    ppid: Number(rest[1]),
    uid: uids ? Number(uids[1]) : -1,
    euid: uids ? Number(uids[2]) : -1,
    gid: gids ? Number(gids[1]) : -1,
    starttime: Number(rest[19]),
    exe: safeReadlink(`${base}/exe`) ?? "",
    comm,
    argv: readCmdline(`${base}/cmdline`),
  };
  const cwd = safeReadlink(`${base}/cwd`);
  if (cwd !== undefined) snap.cwd = cwd;
  return snap;
}

function safeReadlink(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

function readCmdline(p: string): string[] {
  try {
    const b = readFileSync(p);
    if (b.length === 0) return [];
    const s = b.toString("utf8");
    return (s.endsWith("\0") ? s.slice(0, -1) : s).split("\0");
  } catch {
    return [];
  }
}
