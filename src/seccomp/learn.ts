import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors/index.js";
import type { Arch, Whitelist } from "./whitelist.js";
import { SYSCALL_NUMBERS } from "./syscall-numbers.js";

/** Syscall names from `strace -c` output (the summary table). */
export function parseStraceSummary(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    const name = cols[cols.length - 1];
    if (!name || cols.length < 5 || !/^\d/.test(cols[0]!) || name === "total") continue;
    names.add(name);
  }
  return [...names].sort();
}

/**
 * Runs a command under `strace -f -c` and returns a whitelist of every syscall it and its
 * threads and children made, plus the calls strace cannot count because they do not return.
 * Names the table does not know for the arch are reported, not dropped.
 */
export async function learn(command: string[], arch: Arch): Promise<{ whitelist: Whitelist; exitCode: number; unknown: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "clawav-learn-"));
  const out = join(dir, "strace.txt");
  try {
    const child = spawn("strace", ["-f", "-c", "-o", out, "--", ...command], { stdio: "inherit" });
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.on("error", (e) => reject(new UserError(`cannot run strace (${(e as NodeJS.ErrnoException).code ?? String(e)}): apt-get install strace`)));
      child.on("exit", (c) => resolve(c ?? 1));
    });
    const names = new Set(parseStraceSummary(readFileSync(out, "utf8")));
    // strace -c counts only calls that return: exit and friends never do, yet every thread needs
    // them; execve is the launcher's own last call once the filter is in place.
    for (const n of ["execve", "exit", "exit_group", "rt_sigreturn", "restart_syscall"]) names.add(n);
    // A thread waits on a lock or a join only when it loses a race: a learning run whose threads
    // never contended made no futex call, and the next run, which did, died of EPERM.
    if (names.has("clone") || names.has("clone3")) names.add("futex");
    const table = SYSCALL_NUMBERS[arch];
    const unknown = [...names].filter((n) => table[n] === undefined);
    const whitelist: Whitelist = {
      version: "1.0.0",
      status: "DRAFT",
      description: `learned from: ${command.join(" ")}`,
      architectures: [arch],
      default_action: { errno: 1 },
      syscalls: [...names].filter((n) => table[n] !== undefined).sort().map((name) => ({ name, permission: "ALLOW" as const })),
    };
    return { whitelist, exitCode, unknown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface WhitelistDiff {
  onlyA: string[];
  onlyB: string[];
  changed: { name: string; a: string; b: string }[];
}

/** What differs between two whitelists, syscall by syscall. */
export function diffWhitelists(a: Whitelist, b: Whitelist): WhitelistDiff {
  const ma = new Map(a.syscalls.map((e) => [e.name, e]));
  const mb = new Map(b.syscalls.map((e) => [e.name, e]));
  const desc = (e: Whitelist["syscalls"][number]) => JSON.stringify({ permission: e.permission, action: e.action, conditions: e.conditions });
  return {
    onlyA: [...ma.keys()].filter((n) => !mb.has(n)).sort(),
    onlyB: [...mb.keys()].filter((n) => !ma.has(n)).sort(),
    changed: [...ma.keys()].filter((n) => mb.has(n) && desc(ma.get(n)!) !== desc(mb.get(n)!)).sort().map((n) => ({ name: n, a: desc(ma.get(n)!), b: desc(mb.get(n)!) })),
  };
}
