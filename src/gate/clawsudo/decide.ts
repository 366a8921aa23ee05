import { basename, isAbsolute, normalize, resolve, sep } from "node:path";
import { realpathSync } from "node:fs";
import type { Config } from "../../config/index.js";
import { loadClawsudoPolicies, type MatchSubject, type PolicyError, type PolicyRule } from "../../detect/index.js";
import { PACKAGE_ROOT } from "../../version.js";
import { findEscape } from "./escapes.js";
import type { SudoCommand } from "./command.js";

export type Decision = "allow" | "deny" | "ask";

export interface Verdict {
  decision: Decision;
  reason: string;
  /** The rule that decided, or a built-in check's name. */
  rule: string;
  origin?: string;
}

export interface ClawsudoPolicy {
  rules: PolicyRule[];
  files: string[];
  errors: PolicyError[];
}

/** The shipped clawsudo.yaml, then the site's folders (later files may add rules). */
export function clawsudoPolicyDirs(config: Config): string[] {
  return [`${PACKAGE_ROOT}/policies`, ...config.clawsudo.policy_dirs];
}

export function loadClawsudoPolicy(dirs: readonly string[]): ClawsudoPolicy {
  const r = loadClawsudoPolicies(dirs);
  const errors = [...r.errors];
  for (const rule of r.rules) {
    if (rule.enforcement === "allow" || rule.enforcement === "deny" || rule.enforcement === "ask") continue;
    const [file, line] = splitOrigin(rule.origin);
    errors.push({ file, ...(line !== undefined ? { line } : {}), key: `${rule.name}.enforcement`, message: `a clawsudo rule needs enforcement: allow, deny or ask (got ${rule.enforcement})` });
  }
  return { rules: r.rules.filter((x) => x.enabled), files: r.files, errors };
}

/**
 * What clawav itself keeps: a command that names these runs as root against the watchdog (read its
 * token and approve its own requests, stop it, rewrite its policy), whatever a policy says.
 */
export function protectedPaths(config: Config): string[] {
  return [config.general.state_dir, "/etc/clawav", "/var/log/clawav", PACKAGE_ROOT, "/etc/sudoers", "/etc/sudoers.d", ...config.clawsudo.policy_dirs, ...(config.api.token_file ? [config.api.token_file] : [])];
}

/**
 * The verdict on one command. Order: built-in protections, then GTFOBins escapes (an allowed
 * binary used to get a shell is denied), then deny rules, allow rules, ask rules; no rule → ask.
 * No policy file at all → deny everything (fail secure).
 */
export function decide(cmd: SudoCommand, policy: ClawsudoPolicy, protectedList: readonly string[]): Verdict {
  if (policy.errors.length > 0) return { decision: "deny", rule: "policy-error", reason: `the clawsudo policy has errors; nothing runs until they are fixed (${policy.errors.length} error${policy.errors.length > 1 ? "s" : ""})` };
  if (policy.files.length === 0) return { decision: "deny", rule: "no-policy", reason: "no clawsudo policy is installed: everything is denied" };
  const self = selfReference(cmd, protectedList);
  if (self?.inside) return { decision: "deny", rule: "protect-clawav", reason: self.reason };
  const escape = findEscape(cmd.exe, cmd.args);
  if (escape) return { decision: "deny", rule: `escape-${escape.class}`, reason: escape.reason };
  const subject: MatchSubject = { exe: cmd.exe, tool: basename(cmd.exe), argv: [cmd.exe, ...cmd.args], hosts: [], parents: [], uid: cmd.uid, user: cmd.user, paths: [] };
  const hits = policy.rules.filter((r) => r.match(subject) && !r.exceptions.some((x) => x(subject)));
  for (const want of ["deny", "allow", "ask"] as const) {
    const r = hits.find((h) => h.enforcement === want);
    if (!r) continue;
    // A folder above clawav's state (tar /var/lib, cp -r /var) would carry its token along: a human looks first.
    if (want === "allow" && self) return { decision: "ask", rule: "protect-clawav", reason: `${self.reason} (rule ${r.name} would allow it)` };
    return { decision: want, rule: r.name, origin: r.origin, reason: r.description ?? `rule ${r.name}` };
  }
  return { decision: "ask", rule: "no-match", reason: self ? self.reason : "no clawsudo rule matches this command: a human decides" };
}

/**
 * Whether a command reaches what protects clawav: `inside` when it names something in it (denied),
 * otherwise a folder above it (asked: a whole-tree copy would carry the token along).
 */
function selfReference(cmd: SudoCommand, protectedList: readonly string[]): { inside: boolean; reason: string } | undefined {
  const name = basename(cmd.exe);
  if (within(cmd.exe, PACKAGE_ROOT) || name === "clawav" || name === "clawsudo" || /^clawav/.test(name)) return { inside: true, reason: "clawav's own commands do not run through clawsudo (an agent could approve its own requests)" };
  let above: string | undefined;
  for (const raw of cmd.args) {
    // Anywhere in the argument: -d@/var/lib/clawav/api-token, file:///etc/clawav/..., --in=/etc/sudoers.
    const named = protectedList.find((p) => raw.includes(p));
    if (named !== undefined) return { inside: true, reason: `${raw} names ${named}, which protects clawav or sudo` };
    for (const a of pathsIn(raw)) {
      const abs = isAbsolute(a) ? normalize(a) : resolve(cmd.cwd, a);
      let real = abs;
      try {
        real = realpathSync(abs);
      } catch {
        // judged by its name alone
      }
      const hit = protectedList.find((p) => within(abs, p) || within(real, p));
      if (hit !== undefined) return { inside: true, reason: `${raw} reaches ${hit}, which protects clawav or sudo` };
      const under = protectedList.find((p) => within(p, real) || within(p, abs));
      if (under !== undefined && above === undefined) above = `${raw} holds ${under}, which protects clawav or sudo`;
    }
  }
  return above !== undefined ? { inside: false, reason: above } : undefined;
}

/** The path-like parts of an argument: itself, @FILE, and the value of --opt=VALUE / if=VALUE forms. */
function pathsIn(arg: string): string[] {
  const out = [arg];
  const eq = arg.indexOf("=");
  if (eq > 0) out.push(arg.slice(eq + 1));
  if (arg.startsWith("@")) out.push(arg.slice(1));
  return out.filter((s) => s.length > 0 && !s.startsWith("-"));
}

function within(path: string, dir: string): boolean {
  const d = dir.endsWith(sep) && dir.length > 1 ? dir.slice(0, -1) : dir;
  return path === d || path.startsWith(d + sep);
}

function splitOrigin(origin: string): [string, number | undefined] {
  const m = /^(.*):(\d+)$/.exec(origin);
  return m ? [m[1]!, Number(m[2])] : [origin, undefined];
}
