import { EXIT } from "../../errors/index.js";
import type { Command } from "commander";
import { loadPreloadPolicy, preloadPolicyOwnershipProblem } from "../../gate/index.js";

export function registerPreload(program: Command): void {
  const cmd = program.command("preload").description("the LD_PRELOAD guard's policy (libclawguard.so)");
  cmd
    .command("check")
    .description("check a preload policy the way the guard will read it (a bad one makes the guard fail closed)")
    .argument("<file>", "policy JSON, e.g. /etc/clawav/preload-policy.json")
    .action((file: string) => {
      const p = loadPreloadPolicy(file);
      const owner = preloadPolicyOwnershipProblem(file);
      process.stdout.write(`OK: ${file}: ${p.deny_exec.length} exec, ${p.deny_paths_read.length} read, ${p.deny_paths_write.length} write, ${p.deny_connect.length} connect rules\n`);
      if (owner) {
        process.stdout.write(`warning: ${owner} (as \`CLAWAV_PRELOAD_POLICY\`, or at the default path)\n`);
        process.exitCode = EXIT.FINDINGS;
      }
    });
}
