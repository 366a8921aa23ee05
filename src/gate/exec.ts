import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/index.js";
import { UserError } from "../errors/index.js";
import { PACKAGE_ROOT } from "../version.js";
import { legacyNotice, loadPreloadPolicy, preloadPolicyOwnershipProblem } from "./preload-policy.js";

/** Names an agent keeps from the caller's environment; everything else (tokens, keys, LD_*) stays behind. */
export const ENV_ALLOW = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TERM", "TZ", "SHELL", "PWD", "TMPDIR", "COLORTERM", "NO_COLOR"] as const;

/** The environment an agent starts with: the allow list, LC_*, and the names kept on purpose. */
export function scrubEnv(env: NodeJS.ProcessEnv, keep: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const allowed = new Set<string>([...ENV_ALLOW, ...keep]);
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (k.startsWith("LD_") && !keep.includes(k)) continue;
    if (allowed.has(k) || k.startsWith("LC_")) out[k] = v;
  }
  return out;
}

export function guardLibrary(config: Config): string {
  const lib = config.preload.library ?? join(PACKAGE_ROOT, "native", "preload", "build", "libclawguard.so");
  if (!existsSync(lib)) throw new UserError(`the preload guard is not built (${lib}): run npm run build:native (needs a C compiler: apt-get install gcc)`);
  return lib;
}

/**
 * The policy file the guard will read: --policy, else preload.policy_file when it exists, else the
 * shipped default. Checked here as the library will check it, so a policy it would refuse (and
 * then fail closed on) is an error before anything starts.
 */
export function guardPolicy(config: Config, given: string | undefined, home: () => string | undefined): string {
  const file = given ?? (existsSync(config.preload.policy_file) ? config.preload.policy_file : join(PACKAGE_ROOT, "policies", "preload-policy.json"));
  const p = loadPreloadPolicy(file, home);
  const notice = legacyNotice(file, p);
  if (notice) process.stderr.write(`clawav: notice: ${notice}\n`);
  const owner = preloadPolicyOwnershipProblem(file);
  if (owner) throw new UserError(`${owner}: chown root and chmod go-w it, or pass another --policy`);
  if (p.log !== undefined && p.log !== config.preload.log_path) {
    process.stderr.write(`clawav: warning: ${file} logs to ${p.log} but the daemon reads ${config.preload.log_path} (preload.log_path): its denials will not reach the daemon\n`);
  }
  return file;
}

/**
 * The launch wrapper: a shell, already under the guard, that waits on fd 3 until the daemon knows
 * the agent's pid, then execs the agent (the guard judges that exec like any other). The pid stays
 * the same through the exec, so nothing the agent does happens before it is registered.
 */
export function launchArgv(command: readonly string[]): string[] {
  return ["/bin/sh", "-c", 'read -r _ <&3; exec 3<&-; exec "$@"', "clawav-exec", ...command];
}
