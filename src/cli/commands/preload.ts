import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { EXIT, UserError } from "../../errors/index.js";
import { homeOf, legacyNotice, loadPreloadPolicy, preloadPolicyOwnershipProblem } from "../../gate/index.js";
import { PACKAGE_ROOT } from "../../version.js";

/** The guard's own parser as a program (native/preload/check.c), when built. */
export const GUARD_CHECKER = join(PACKAGE_ROOT, "native", "preload", "build", "clawguard-check");

function uidOf(user: string): number {
  const r = spawnSync("getent", ["passwd", user], { encoding: "utf8" });
  const uid = Number(r.stdout.split(":")[2]);
  if (r.status !== 0 || !Number.isInteger(uid)) throw new UserError(`--user: no user ${user} on this machine`, EXIT.NOINPUT);
  return uid;
}

export function registerPreload(program: Command): void {
  const cmd = program.command("preload").description("the LD_PRELOAD guard's policy (libclawguard.so)");
  cmd
    .command("check")
    .description("check a preload policy the way the guard will read it (a bad one makes the guard fail closed)")
    .argument("<file>", "policy JSON, e.g. /etc/clawav/preload-policy.json")
    .option("-u, --user <name>", "the agent's user: \"~\" in the policy is its home (default: yours)")
    .addHelpText("after", "\nThe guard's own parser (clawguard-check, built with the guard) is asked too when present;\nthe two must agree.\nExit status: 0 valid, 1 valid but the guard would not take the file (owner or mode), 65 invalid.")
    .action((file: string, opts: { user?: string }) => {
      const uid = opts.user === undefined ? (process.getuid?.() ?? 0) : uidOf(opts.user);
      const home = homeOf(uid);
      const p = loadPreloadPolicy(file, () => home);
      const checker = secondOpinion(file, home);
      if (checker !== undefined && !checker.startsWith("ok")) {
        // Both parsers are ours and must agree; a disagreement is a bug to report, not the user's mistake.
        process.stderr.write(`clawav: the guard's own parser refuses ${file} where clawav's accepts it: ${checker}\n`);
        process.exitCode = EXIT.SOFTWARE;
        return;
      }
      const notice = legacyNotice(file, p);
      if (notice) process.stdout.write(`notice: ${notice}\n`);
      const off = p.enabled ? "" : " (all off: enabled is false)";
      process.stdout.write(`OK: ${file}: ${p.deny_exec.length} exec, ${p.deny_paths_read.length} read, ${p.deny_paths_write.length} write, ${p.deny_connect.length} connect rules${off}\n`);
      const owner = preloadPolicyOwnershipProblem(file);
      if (owner) {
        process.stdout.write(`warning: ${owner} (as \`CLAWAV_PRELOAD_POLICY\`, or at the default path)\n`);
        process.exitCode = EXIT.FINDINGS;
      }
    });
}

/** The C parser's verdict line, or undefined when it is not built. */
function secondOpinion(file: string, home: string | undefined): string | undefined {
  if (!existsSync(GUARD_CHECKER)) return undefined;
  const r = spawnSync(GUARD_CHECKER, [...(home === undefined ? [] : ["--home", home]), file], { encoding: "utf8" });
  return r.status === 0 || r.status === 1 ? r.stdout.trim() : `clawguard-check failed: ${r.stderr.trim() || `exit ${r.status}`}`;
}
