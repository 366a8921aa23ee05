import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hashAdminKey, newAdminKey, saveAdminHash } from "../../admin/index.js";
import { ask, readKey } from "../admin-client.js";
import { EXIT, UserError } from "../../errors/index.js";
import { configFrom } from "../load-config.js";

export function registerAdmin(program: Command): void {
  const admin = program
    .command("admin")
    .description("talk to the running daemon through its admin socket, with the admin key (asked on the terminal, or --key-fd)")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--key-fd <n>", "read the admin key from this file descriptor (e.g. --key-fd 3 3<keyfile), not the terminal");
  const run = async (command: string, args: Record<string, unknown>) => {
    const o = admin.opts<{ config?: string; keyFd?: string }>();
    const config = configFrom(o.config);
    const key = await readKey(o.keyFd);
    const r = await ask(config.admin.socket, { key, command, args });
    if (!r.ok) throw new UserError(r.error, /wrong key|locked out/.test(r.error) ? EXIT.NOPERM : r.error.startsWith("config-update refused") ? EXIT.DATAERR : EXIT.FINDINGS);
    process.stdout.write(`${JSON.stringify(r.result, null, 2)}\n`);
  };
  admin.command("status").description("the daemon's state: sources, counts, whether it is paused").action(() => run("status", {}));
  admin.command("pause").description("stop pushing alerts and acting (kills, quarantines) for up to 30 minutes; everything is still judged and recorded; resumes by itself").argument("<duration>", "e.g. 10m, 90s (at most 30m)").action((d: string) => run("pause", { duration: d }));
  admin.command("resume").description("end a pause now").action(() => run("resume", {}));
  admin.command("scan").description("run the posture scan now (as clawav scan, in the daemon): the counts and the failing checks; a check newly failing is an alert").action(() => run("scan", {}));
  admin
    .command("config-update")
    .description("replace the daemon's config with FILE: checked as config check does (file:line: key), the policies built, then written in place of the old file and applied; sections the detector does not use take effect at the next start (the answer says which)")
    .argument("<file>", "the new config.toml")
    .action(async (file: string) => {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        throw new UserError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
      }
      await run("config-update", { name: file, text });
    });
  admin
    .command("baseline-accept")
    .description("take an identity file's current content into the integrity baseline (its change stops being alerted and, if protected, restored)")
    .argument("<file>", "the watched file, absolute")
    .option("--from <file>", "take this file's content instead, and write it in place (the way to change a protected file)")
    .action((file: string, o: { from?: string }) => run("baseline-accept", { path: file, ...(o.from !== undefined ? { from: o.from } : {}) }));
  admin
    .command("keygen")
    .description("make a new admin key (root): printed once, only its Argon2id hash is kept; the old key stops working at once")
    .action(() => {
      if (process.getuid?.() !== 0) throw new UserError("admin keygen needs root: the key's hash lives in the state folder", EXIT.NOPERM);
      const config = configFrom(admin.opts<{ config?: string }>().config);
      const file = config.admin.key_hash_file ?? join(config.general.state_dir, "admin-key.hash");
      const key = newAdminKey();
      saveAdminHash(file, hashAdminKey(key));
      process.stdout.write(`${key}\n`);
      process.stderr.write(`clawav: the new admin key is above (shown this once); its hash is in ${file}\n`);
    });
}
