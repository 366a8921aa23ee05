import type { Command } from "commander";
import { join, resolve } from "node:path";
import { EXIT, UserError } from "../../errors/index.js";
import { Baseline } from "../../sources/integrity/index.js";
import { configFrom } from "../load-config.js";
import { ask, readKey } from "../admin-client.js";

export function registerBaseline(program: Command): void {
  const b = program.command("baseline").description("the integrity baseline of the agents' identity files");
  b.command("list")
    .description("each baselined file: its hash, size, owner, mode, and when and why it was taken (root: the baseline is in the state folder)")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--json", "as JSON")
    .action((o: { config?: string; json?: boolean }) => {
      const config = configFrom(o.config);
      const dir = config.integrity.baseline_dir ?? join(config.general.state_dir, "integrity");
      let base: Baseline;
      try {
        base = new Baseline(dir);
      } catch (e) {
        throw new UserError(e instanceof Error ? e.message : String(e), EXIT.DATAERR);
      }
      const rows = base.paths().map((p) => ({ path: p, ...base.get(p)! }));
      if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else for (const r of rows) process.stdout.write(`${r.sha256.slice(0, 16)}  ${String(r.size).padStart(7)}  ${r.uid}:${r.gid} ${r.mode.toString(8).padStart(4, "0")}  ${new Date(r.ts).toISOString()}  ${r.path}  (${r.why})\n`);
      if (rows.length === 0) process.stderr.write(`clawav: no file in the baseline at ${dir} (the daemon takes it at its start, from the profile's identity_files and [integrity] files)\n`);
    });
  b.command("accept")
    .description("take a watched file's current content into the baseline, through the running daemon's admin socket (asks for the admin key, or --key-fd)")
    .argument("<file>", "the watched file")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--key-fd <n>", "read the admin key from this file descriptor, not the terminal")
    .option("--from <file>", "take this file's content instead, and write it in place (the way to change a protected file)")
    .action(async (file: string, o: { config?: string; keyFd?: string; from?: string }) => {
      const config = configFrom(o.config);
      const key = await readKey(o.keyFd);
      const r = await ask(config.admin.socket, { key, command: "baseline-accept", args: { path: resolve(file), ...(o.from !== undefined ? { from: resolve(o.from) } : {}) } });
      if (!r.ok) throw new UserError(r.error, /wrong key|locked out/.test(r.error) ? EXIT.NOPERM : EXIT.FINDINGS);
      process.stdout.write(`${JSON.stringify(r.result, null, 2)}\n`);
    });
}
