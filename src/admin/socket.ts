// The admin socket: one JSON line in ({key, command, args}), one JSON line out, then closed.
// Every request carries the admin key; three wrong keys from one client (its uid, from the
// kernel's view of the peer) lock that client out for an hour, without the key even being hashed,
// and others are unaffected. A lockout is the daemon's to raise as a critical alert.
import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { loadAdminHash, verifyAdminKey } from "./key.js";
import { peerOf, type Peer } from "./peer.js";
import { Lockout } from "./lockout.js";

export type AdminReply = { ok: true; result: unknown } | { ok: false; error: string };

export interface AdminCommands {
  /** Each command's handler; args as the client sent them, checked by the handler. */
  [command: string]: (args: Record<string, unknown>, peer: Peer) => unknown;
}

export interface AdminSocketOptions {
  path: string;
  /** The admin key's hash file (read at each request: a new key takes effect at once). */
  hashFile: string;
  /** The socket file's mode: who may try a key at all. */
  mode: number;
  commands: AdminCommands;
  /** A client was just locked out (after maxFailures wrong keys). */
  onLockout(peer: Peer, until: number): void;
  /** A wrong key, before any lockout. */
  onFailure?(peer: Peer, failures: number): void;
  maxFailures?: number;
  lockoutMs?: number;
  now?: () => number;
}

const MAX_REQUEST = 64 * 1024;

export class AdminSocket {
  private server: Server | undefined;
  private ino: number | undefined;
  private readonly lockout: Lockout;
  readonly counts = { requests: 0, ok: 0, wrong_key: 0, locked_out_refused: 0, lockouts: 0, bad_requests: 0 };

  constructor(private readonly o: AdminSocketOptions) {
    this.lockout = new Lockout(o.maxFailures ?? 3, o.lockoutMs ?? 3_600_000);
  }

  async listen(): Promise<void> {
    mkdirSync(dirname(this.o.path), { recursive: true, mode: 0o755 });
    // A stale socket from a killed daemon is replaced; a live one (another clawav) or anything
    // else at the path is not ours to remove.
    if (existsSync(this.o.path)) {
      if (!lstatSync(this.o.path).isSocket()) throw new Error(`${this.o.path} exists and is not a socket`);
      if (await answers(this.o.path)) throw new Error(`${this.o.path} is another clawav's (it answers); give this one another admin.socket`);
      rmSync(this.o.path);
    }
    const server = createServer((s) => this.serve(s));
    this.server = server;
    server.maxConnections = 16;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.o.path, () => resolve());
    });
    chmodSync(this.o.path, this.o.mode);
    this.ino = lstatSync(this.o.path).ino;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((r) => s.close(() => r()));
    // Only the socket this daemon made: a later clawav may have taken the path since.
    try {
      if (lstatSync(this.o.path).ino === this.ino) rmSync(this.o.path, { force: true });
    } catch {
      // gone already
    }
  }

  private serve(sock: Socket): void {
    sock.setTimeout(10_000, () => sock.destroy());
    let buf = "";
    let done = false;
    sock.on("error", () => sock.destroy());
    sock.on("data", (c: Buffer) => {
      if (done) return;
      buf += c.toString("utf8");
      if (buf.length > MAX_REQUEST) {
        done = true;
        this.counts.bad_requests++;
        return reply(sock, { ok: false, error: `request over ${MAX_REQUEST} bytes` });
      }
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      done = true;
      void this.handle(sock, buf.slice(0, nl)).then((r) => reply(sock, r), (e: unknown) => reply(sock, { ok: false, error: `internal error: ${e instanceof Error ? e.message : String(e)}` }));
    });
  }

  private async handle(sock: Socket, line: string): Promise<AdminReply> {
    this.counts.requests++;
    const peer = await peerOf(sock);
    const now = (this.o.now ?? Date.now)();
    const locked = this.lockout.lockedUntil(peer.client, now);
    if (locked !== undefined) {
      this.counts.locked_out_refused++;
      return { ok: false, error: `locked out until ${new Date(locked).toISOString()} after ${this.o.maxFailures ?? 3} wrong keys` };
    }
    let req: { key?: unknown; command?: unknown; args?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      this.counts.bad_requests++;
      return { ok: false, error: 'not JSON: send {"key": "OCAV-...", "command": "status"} on one line' };
    }
    const hash = loadAdminHash(this.o.hashFile);
    if (!hash) return { ok: false, error: "no admin key is set (clawav admin keygen)" };
    if (typeof req.key !== "string" || !verifyAdminKey(req.key, hash)) {
      this.counts.wrong_key++;
      const f = this.lockout.fail(peer.client, now);
      if (f.lockedUntil === undefined) {
        this.o.onFailure?.(peer, f.count);
        return { ok: false, error: "wrong key" };
      }
      this.counts.lockouts++;
      this.o.onLockout(peer, f.lockedUntil);
      return { ok: false, error: `wrong key: locked out until ${new Date(f.lockedUntil).toISOString()}` };
    }
    this.lockout.succeed(peer.client);
    const cmd = typeof req.command === "string" ? this.o.commands[req.command] : undefined;
    if (!cmd) return { ok: false, error: `unknown command: want one of ${Object.keys(this.o.commands).join(", ")}` };
    const args = typeof req.args === "object" && req.args !== null && !Array.isArray(req.args) ? (req.args as Record<string, unknown>) : {};
    try {
      const result = await cmd(args, peer);
      this.counts.ok++;
      return { ok: true, result };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }
}

/** Does a daemon listen on this socket path now? */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.on("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
}

function reply(sock: Socket, r: AdminReply): void {
  sock.end(`${JSON.stringify(r)}\n`);
}
