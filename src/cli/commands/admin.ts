import type { Command } from "commander";
import { createConnection } from "node:net";
import { readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { hashAdminKey, KEY_FORMAT, newAdminKey, saveAdminHash, type AdminReply } from "../../admin/index.js";
import { EXIT, UserError } from "../../errors/index.js";
import { configFrom } from "../load-config.js";

/** The key from a file descriptor (`--key-fd 3 3<keyfile`) or typed at a prompt without echo; never from argv. */
async function readKey(fd: string | undefined): Promise<string> {
  let text: string;
  if (fd !== undefined) {
    const n = Number(fd);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`--key-fd: want a file descriptor number, got "${fd}"`, EXIT.USAGE);
    const buf = Buffer.alloc(256);
    let got = 0;
    try {
      for (let r; got < buf.length && (r = readSync(n, buf, got, buf.length - got, null)) > 0; ) got += r;
    } catch (e) {
      throw new UserError(`--key-fd ${n}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
    }
    text = buf.subarray(0, got).toString("utf8");
  } else {
    if (!process.stdin.isTTY) throw new UserError("no terminal to ask the admin key on: give it with --key-fd N (never on the command line)", EXIT.USAGE);
    text = await prompt("admin key: ");
  }
  const key = text.trim();
  if (!KEY_FORMAT.test(key)) throw new UserError("that is not an admin key (OCAV- and 64 hex digits)", EXIT.DATAERR);
  return key;
}

function prompt(q: string): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(q);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let s = "";
    const on = (c: Buffer) => {
      for (const ch of c.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off("data", on);
          process.stderr.write("\n");
          return resolve(s);
        }
        if (ch === "\u0003") process.exit(130);
        if (ch === "\u007f") s = s.slice(0, -1);
        else s += ch;
      }
    };
    stdin.on("data", on);
  });
}

function ask(path: string, req: Record<string, unknown>): Promise<AdminReply> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let out = "";
    sock.setTimeout(15_000, () => sock.destroy(new Error("no answer in 15 s")));
    sock.on("connect", () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on("data", (c: Buffer) => (out += c.toString("utf8")));
    sock.on("end", () => {
      try {
        resolve(JSON.parse(out) as AdminReply);
      } catch {
        reject(new Error(`the daemon answered something else: ${out.slice(0, 200)}`));
      }
    });
    sock.on("error", (e: NodeJS.ErrnoException) => reject(new UserError(`cannot reach the admin socket ${path} (${e.code ?? e.message}): is clawav running as root? (as another user the socket may not be open to you)`, e.code === "EACCES" ? EXIT.NOPERM : EXIT.UNAVAILABLE)));
  });
}

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
  admin.command("scan").description("run the posture scan now (not built yet: issue 17)").action(() => run("scan", {}));
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
