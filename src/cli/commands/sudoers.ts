import type { Command } from "commander";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../errors/index.js";
import { untrustedReason } from "../../gate/index.js";
import { sudoersEntry } from "../../install/index.js";

const SAFE = /^[\w./+@-]+$/;

export function registerSudoers(program: Command): void {
  program
    .command("sudoers")
    .description("print (and check with visudo) the sudoers entry that lets an agent user run clawsudo")
    .requiredOption("-a, --agent <user>", "the agent's user name")
    .option("-c, --config <file>", "the config clawsudo will read (pinned in the entry)")
    .option("-o, --output <file>", "write the entry there (mode 0440) instead of printing it, e.g. /etc/sudoers.d/clawav-agent")
    .action((opts: { agent: string; config?: string; output?: string }) => {
      if (!/^[a-z_][a-z0-9_.-]{0,31}$/i.test(opts.agent)) throw new UserError(`--agent: "${opts.agent}" is not a user name`);
      if (!readFileSync("/etc/passwd", "utf8").split("\n").some((l) => l.startsWith(`${opts.agent}:`))) throw new UserError(`--agent: no user ${opts.agent} in /etc/passwd`);
      const node = realpathSync(process.execPath);
      const script = join(dirname(fileURLToPath(import.meta.url)), "..", "clawsudo.js");
      const real = realpathSync(script);
      for (const p of [node, real, ...(opts.config !== undefined ? [opts.config] : [])]) {
        if (!SAFE.test(p)) throw new UserError(`${p}: a path with characters sudoers would need escaped; install clawav under a plain path`);
      }
      // An entry that runs code the agent could change is a root shell for the agent.
      for (const p of [node, real]) {
        const why = untrustedReason(p);
        if (why) throw new UserError(`refusing: ${why}; clawsudo runs as root, so it and node must be root's and writable by nobody else`);
      }
      const entry = sudoersEntry(opts.agent, node, real, opts.config);
      const dir = mkdtempSync(join(tmpdir(), "clawav-sudoers-"));
      try {
        const tmp = join(dir, "entry");
        writeFileSync(tmp, entry, { mode: 0o440 });
        const v = spawnSync("visudo", ["-c", "-q", "-f", tmp], { encoding: "utf8" });
        if (v.error) throw new UserError(`cannot run visudo to check the entry (${v.error.message}): is sudo installed?`);
        if (v.status !== 0) throw new UserError(`visudo rejects the entry: ${(v.stderr || v.stdout).trim()}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      if (opts.output === undefined) {
        process.stdout.write(entry);
        return;
      }
      const tmp = `${opts.output}.clawav-tmp`;
      writeFileSync(tmp, entry, { mode: 0o440 });
      renameSync(tmp, opts.output);
      process.stdout.write(`wrote ${opts.output} (checked with visudo)\n`);
    });
}
