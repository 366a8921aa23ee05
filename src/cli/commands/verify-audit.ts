import type { Command } from "commander";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import { readKey, verifyChain } from "../../chain/index.js";
import { UserError, EXIT } from "../../errors/index.js";

export function registerVerifyAudit(program: Command): void {
  program
    .command("verify-audit")
    .description("verify an audit chain: every MAC, the sequence, every link, and the checkpoints")
    .argument("<file>", "the chain (e.g. /var/lib/clawav/audit.chain)")
    .option("--key <file>", "the chain key (default: chain.key beside FILE)")
    .option("--checkpoints <file>", "checkpoint file (default: FILE.checkpoints when it exists)")
    .addHelpText("after", "\nExit 0: `OK: N entries, head <hex>`. Exit 1: the first bad line and why. Exit 2: cannot read the file or key.")
    .action(async (file: string, opts: { key?: string; checkpoints?: string }) => {
      if (!existsSync(file)) throw new UserError(`${file}: no such file`);
      const key = readKey(opts.key ?? join(dirname(file), "chain.key"));
      const cps = opts.checkpoints ?? (existsSync(`${file}.checkpoints`) ? `${file}.checkpoints` : undefined);
      const r = await verifyChain(file, key, cps);
      if (r.ok) {
        process.stdout.write(`OK: ${r.entries} entries, head ${r.head}\n`);
        return;
      }
      process.stdout.write(`FAIL: ${file}:${r.line}: ${r.reason} (${r.entries} entries verified before it)\n`);
      process.exitCode = EXIT.FINDINGS;
    });
}
