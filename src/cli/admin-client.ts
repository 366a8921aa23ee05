// The admin socket's client side: the key read without echo (never from argv), one request, one answer.
import { createConnection } from "node:net";
import { readSync } from "node:fs";
import { KEY_FORMAT, type AdminReply } from "../admin/index.js";
import { EXIT, UserError } from "../errors/index.js";

/** The key from a file descriptor (`--key-fd 3 3<keyfile`) or typed at a prompt without echo; never from argv. */
export async function readKey(fd: string | undefined): Promise<string> {
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

export function ask(path: string, req: Record<string, unknown>): Promise<AdminReply> {
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
