#!/usr/bin/env node
// clawsudo: the agent's sudo. The agent runs `clawsudo CMD ARGS`; that re-runs itself through sudo
// with a fixed argument prefix that the sudoers entry pins (`clawav sudoers`). The root side judges
// the command against the clawsudo policy, records the decision through the daemon, and runs it,
// refuses it (77), or waits for a human's approval (78 when none comes).
import { spawn, spawnSync } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { configFrom } from "./load-config.js";
import { UserError, EXIT } from "../errors/index.js";
import type { Config } from "../config/index.js";
import { PACKAGE_ROOT } from "../version.js";
import {
  callDaemon, clawsudoPolicyDirs, commandHash, daemonEndpoint, decide, describeFailure, displayCommand, loadClawsudoPolicy, protectedPaths, replyError, resolveExecutable, SECURE_PATH, untrustedReason,
  type DaemonEndpoint, type SudoCommand, type Verdict,
} from "../gate/index.js";

export const EXIT_DENIED = EXIT.NOPERM;
export const EXIT_TIMEOUT = EXIT.APPROVAL_TIMEOUT;
const EXIT_USAGE = EXIT.USAGE;

const USAGE = `usage: clawsudo [--config FILE] CMD [ARGS...]

Runs CMD as root if the clawsudo policy allows it, after a human approves it when the policy says
ask, and never when it says deny. Every decision is recorded in clawav's audit chain.

Exit status: CMD's own, or
  77  denied (by policy, a shell escape, or because the clawav daemon is unreachable)
  78  asked for approval and none came in time
  64  bad usage

Approvals are given by root only: clawav approve ID.`;

function say(msg: string): void {
  process.stderr.write(`clawsudo: ${msg}\n`);
}

/** The agent's side: hand over to sudo with the exact prefix the sudoers entry allows. */
function viaSudo(configPath: string | undefined, cmd: string[]): number {
  const script = fileURLToPath(import.meta.url);
  const args = ["-n", process.execPath, script, ...(configPath !== undefined ? ["--config", configPath] : []), "--", ...cmd];
  const r = spawnSync("sudo", args, { stdio: "inherit" });
  if (r.error) {
    say(`cannot run sudo: ${r.error.message}`);
    return EXIT_DENIED;
  }
  return r.status ?? 128 + signalNumber(r.signal);
}

function signalNumber(sig: NodeJS.Signals | null): number {
  return sig ? (constants.signals[sig] ?? 1) : 0;
}

/** Refuses to act as root when the code it is running could have been changed by someone else. */
function integrityProblem(): string | undefined {
  for (const p of [fileURLToPath(import.meta.url), `${PACKAGE_ROOT}/node_modules`, `${PACKAGE_ROOT}/package.json`, process.execPath]) {
    const why = untrustedReason(p);
    if (why) return why;
  }
  if (process.execArgv.length > 0 || process.env.NODE_OPTIONS) return "node was started with extra options (NODE_OPTIONS or flags): the sudoers entry must reset the environment";
  return undefined;
}

/** The environment a root command gets: fixed, with pagers and editors that cannot spawn a shell. */
function rootEnv(caller: { user: string; uid: number }): NodeJS.ProcessEnv {
  const term = process.env.TERM;
  return {
    PATH: SECURE_PATH.join(":"),
    HOME: "/root",
    USER: "root",
    LOGNAME: "root",
    SHELL: "/bin/sh",
    LANG: "C.UTF-8",
    ...(term !== undefined && /^[\w.+-]{1,64}$/.test(term) ? { TERM: term } : {}),
    PAGER: "cat",
    MANPAGER: "cat",
    GIT_PAGER: "cat",
    SYSTEMD_PAGER: "cat",
    SYSTEMD_PAGERSECURE: "1",
    SYSTEMD_EDITOR: "/bin/false",
    EDITOR: "/bin/false",
    VISUAL: "/bin/false",
    SUDO_USER: caller.user,
    SUDO_UID: String(caller.uid),
  };
}

function run(cmd: SudoCommand, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    // argv[0] is the resolved path that was judged, so a multi-call binary cannot be told to be something else.
    const child = spawn(cmd.exe, cmd.args, { argv0: cmd.exe, stdio: "inherit", env, cwd: cmd.cwd });
    const forward = (s: NodeJS.Signals) => () => child.kill(s);
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const) process.on(s, forward(s));
    child.on("error", (e) => {
      say(`cannot run ${cmd.exe}: ${e.message}`);
      resolve(126);
    });
    child.on("exit", (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
}

interface Caller {
  user: string;
  uid: number;
  pid: number;
}

/** Who asked: sudo sets SUDO_USER/SUDO_UID itself after clearing the caller's environment. */
function callerOf(): Caller {
  const uid = process.env.SUDO_UID !== undefined && /^\d+$/.test(process.env.SUDO_UID) ? Number(process.env.SUDO_UID) : 0;
  const user = process.env.SUDO_USER !== undefined && /^[\w.-]{1,64}$/.test(process.env.SUDO_USER) ? process.env.SUDO_USER : uid === 0 ? "root" : `uid:${uid}`;
  return { user, uid, pid: process.ppid };
}

async function record(ep: DaemonEndpoint, cmd: SudoCommand, caller: Caller, v: Verdict, hash: string): Promise<{ ok: true; id?: string } | { ok: false; reason: string }> {
  try {
    const r = await callDaemon(ep, "POST", "/api/clawsudo/decisions", {
      decision: v.decision, reason: v.reason, rule: v.rule, user: caller.user, uid: caller.uid, pid: caller.pid, cwd: cmd.cwd, exe: cmd.exe, argv: [cmd.exe, ...cmd.args], hash,
    });
    if (r.status !== 200) return { ok: false, reason: `the daemon refused the record (${replyError(r)})` };
    return { ok: true, ...(typeof r.body.id === "string" ? { id: r.body.id } : {}) };
  } catch (e) {
    return { ok: false, reason: `the clawav daemon is unreachable at ${ep.base} (${describeFailure(e)})` };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for a human. Returns the state the request ended in. */
async function awaitAnswer(ep: DaemonEndpoint, id: string, deadline: number): Promise<string> {
  while (Date.now() < deadline) {
    try {
      const r = await callDaemon(ep, "GET", `/api/clawsudo/requests/${id}`, undefined, 5000);
      const state = typeof r.body.state === "string" ? r.body.state : "unknown";
      if (r.status === 200 && state !== "pending") return state;
      if (r.status === 404) return "gone";
    } catch {
      // the daemon restarting: keep waiting until the deadline
    }
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
  }
  return "timeout";
}

async function rootSide(config: Config, configPath: string | undefined, name: string, args: string[]): Promise<number> {
  const caller = callerOf();
  const cwd = process.cwd();
  const res = resolveExecutable(name, cwd);
  if (!res.ok) {
    say(res.reason);
    return 127;
  }
  const cmd: SudoCommand = { name, exe: res.exe, args, cwd, uid: caller.uid, user: caller.user };
  const hash = commandHash(cmd);
  const policy = loadClawsudoPolicy(clawsudoPolicyDirs(config));
  // A policy or config a non-root user could edit would let the agent write its own allow rule.
  for (const f of [...(configPath !== undefined ? [configPath] : []), ...policy.files]) {
    const why = untrustedReason(f);
    if (why) policy.errors.push({ file: f, message: `not trusted: ${why}` });
  }
  const untrusted = untrustedReason(cmd.exe);
  const verdict: Verdict = untrusted
    ? { decision: "deny", rule: "untrusted-path", reason: `${cmd.exe} could be swapped by a non-root user: ${untrusted}` }
    : decide(cmd, policy, protectedPaths(config));
  const ep = daemonEndpoint(config);
  if (!ep.ok) {
    say(`denied: cannot record the decision, so nothing runs: ${ep.reason}`);
    return EXIT_DENIED;
  }
  const rec = await record(ep.endpoint, cmd, caller, verdict, hash);
  if (!rec.ok) {
    say(`denied: ${rec.reason}; every decision must be recorded, so nothing runs`);
    return EXIT_DENIED;
  }
  if (verdict.decision === "deny") {
    say(`denied: ${displayCommand([cmd.exe, ...args])}: ${verdict.reason} (rule ${verdict.rule}${verdict.origin ? `, ${verdict.origin}` : ""})`);
    for (const e of policy.errors) say(`policy error: ${e.file}${e.line !== undefined ? `:${e.line}` : ""}: ${e.key ? `${e.key}: ` : ""}${e.message}`);
    return EXIT_DENIED;
  }
  const env = rootEnv(caller);
  if (verdict.decision === "allow") return run(cmd, env);
  if (rec.id === undefined) {
    say("denied: the daemon gave no request id");
    return EXIT_DENIED;
  }
  const timeoutS = config.clawsudo.ask_timeout;
  say(`request ${rec.id} needs a human's approval: ${verdict.reason}. As root: clawav approve ${rec.id} (waiting up to ${timeoutS} s)`);
  const state = await awaitAnswer(ep.endpoint, rec.id, Date.now() + timeoutS * 1000);
  if (state === "approved") {
    try {
      const c = await callDaemon(ep.endpoint, "POST", `/api/clawsudo/requests/${rec.id}/consume`, { hash });
      if (c.status !== 200) {
        say(`denied: the approval could not be used: ${replyError(c)}`);
        return EXIT_DENIED;
      }
    } catch (e) {
      say(`denied: the daemon is unreachable (${describeFailure(e)})`);
      return EXIT_DENIED;
    }
    const code = await run(cmd, env);
    await callDaemon(ep.endpoint, "POST", `/api/clawsudo/requests/${rec.id}/result`, { hash, exit: code }).catch(() => undefined);
    return code;
  }
  if (state === "rejected") {
    say(`denied: request ${rec.id} was rejected`);
    return EXIT_DENIED;
  }
  await callDaemon(ep.endpoint, "POST", `/api/clawsudo/requests/${rec.id}/expire`, {}).catch(() => undefined);
  say(`request ${rec.id} was not approved within ${timeoutS} s`);
  return EXIT_TIMEOUT;
}

export async function clawsudoMain(argv: string[]): Promise<number> {
  let configPath: string | undefined;
  let i = 0;
  if (argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (argv[0] === "--config") {
    if (argv[1] === undefined) {
      say("--config needs a file");
      return EXIT_USAGE;
    }
    configPath = argv[1];
    i = 2;
  }
  const explicitEnd = argv[i] === "--";
  if (explicitEnd) i++;
  const cmd = argv.slice(i);
  if (cmd.length === 0) {
    process.stderr.write(USAGE + "\n");
    return EXIT_USAGE;
  }
  if (process.getuid?.() !== 0) return viaSudo(configPath, cmd);
  // As root, only the exact prefix the sudoers entry pins is accepted: options end at "--".
  if (!explicitEnd) {
    say("as root, clawsudo wants its command after --");
    return EXIT_USAGE;
  }
  const problem = integrityProblem();
  if (problem) {
    say(`refusing to run as root: ${problem}`);
    return EXIT_DENIED;
  }
  let config: Config;
  try {
    config = configFrom(configPath);
  } catch (e) {
    say(`denied: the config cannot be read: ${e instanceof UserError ? e.message : String(e)}`);
    return EXIT_DENIED;
  }
  return rootSide(config, configPath, cmd[0]!, cmd.slice(1));
}

clawsudoMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Fail closed: an internal error never runs anything.
    say(`denied: internal error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = EXIT_DENIED;
  },
);
