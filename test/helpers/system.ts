import { spawn, spawnSync, type SpawnOptions } from "node:child_process";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/version.js";

export const IS_ROOT = process.getuid?.() === 0;
/** The unprivileged user the e2e tests act as; created by global-setup when root. */
export const TEST_USER = "clawavtest";
export const CLI = join(PACKAGE_ROOT, "dist", "cli", "clawav.js");

export function commandExists(cmd: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1"', "sh", cmd], { stdio: "ignore" }).status === 0;
}

export function auditdUsable(): boolean {
  return IS_ROOT && spawnSync("auditctl", ["-s"], { stdio: "ignore" }).status === 0;
}

export interface UserIds {
  uid: number;
  gid: number;
  home: string;
}

export function userIds(name: string): UserIds {
  const r = spawnSync("getent", ["passwd", name], { encoding: "utf8" });
  const f = r.stdout.trim().split(":");
  if (r.status !== 0 || f.length < 7) throw new Error(`no user ${name}`);
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, capturing its output; never through a shell. */
export function run(cmd: string, args: readonly string[], opts: SpawnOptions & { input?: string | Buffer } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }),
    );
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on("error", () => {}); // a child that exits without reading its input
      child.stdin.end(opts.input);
    }
  });
}

export function runCli(args: readonly string[], opts: SpawnOptions & { input?: string | Buffer } = {}): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], opts);
}

/** Runs a program as the unprivileged test user (uid, gid and HOME switched; no shell). */
export function runAsUser(cmd: string, args: readonly string[], opts: SpawnOptions & { input?: string | Buffer } = {}): Promise<RunResult> {
  const u = userIds(TEST_USER);
  return run(cmd, args, {
    cwd: u.home,
    ...opts,
    uid: u.uid,
    gid: u.gid,
    env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: u.home, USER: TEST_USER, LANG: "C.UTF-8", ...(opts.env ?? {}) },
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns a value, or fails after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
