import { readFileSync } from "node:fs";
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect, rootCertificates } from "node:tls";

import { severityRank, type AlertSink, type Notice, type Severity } from "../events/index.js";
import { VERSION } from "../version.js";

import { cef, cutUtf8, DEFAULT_FACILITY, frame, rfc5424 } from "./syslog.js";

export interface SiemOptions {
  host: string;
  port: number;
  transport: "tcp" | "tls";
  /** PEM of CAs trusted besides the system's roots (TLS only); the server's name is checked either way. */
  caFile?: string;
  format: "rfc5424" | "cef";
  minSeverity: Severity;
  /** Also each repeat the aggregator folded into an earlier alert (default: the first of each detection per window). */
  repeats?: boolean;
  /** Messages held while the collector is away; past it new alerts are dropped and counted. */
  queueSize?: number;
  /** HOSTNAME of every message: the node as the SIEM should know it. */
  hostname: string;
  facility?: number;
  appName?: string;
  /**
   * The longest message sent, in bytes (without framing). 8192 is what RFC 5425 says a receiver
   * should take, and rsyslog's default limit: a longer one would be cut or split by the collector.
   */
  maxMessageBytes?: number;
  /** Reconnect delay: `min` after a failure, doubling up to `max`. */
  reconnectMs?: { min: number; max: number };
  /** How long a connection attempt (TCP and the TLS handshake) may take. */
  connectTimeoutMs?: number;
  log?: { warn(msg: string, fields?: Record<string, unknown>): void };
}

interface Conn {
  socket: Socket;
  up: boolean;
  upSince: number;
  /** Messages at the head of the queue written to this socket whose write has not completed yet. */
  inflight: number;
  delivered: number;
  dead: boolean;
  /** close() is ending it: its end is no failure. */
  ending: boolean;
  waitingDrain: boolean;
}

/**
 * Sends every alert at or above `minSeverity` to a SIEM's syslog collector over one TCP or TLS
 * connection, RFC 5424 messages with octet-counting framing (RFC 6587, RFC 5425). Every notice is
 * sent, repeats included (the SIEM wants every detection; the entry's count says how many so far).
 *
 * accept() only queues. A message leaves the queue once the socket has taken it (its write
 * completed without error); when the connection fails, what was still in flight is written again
 * on the next one, so the collector may see a message twice but not miss one while clawav runs.
 * What the kernel had already taken when the collector died is beyond this: plain syslog over TCP
 * has no acknowledgements.
 */
export class SiemSink implements AlertSink {
  readonly name = "siem";
  private readonly queue: Buffer[] = [];
  private readonly queueSize: number;
  private readonly minRank: number;
  private readonly maxBytes: number;
  private readonly backoff: { min: number; max: number };
  private readonly ca: string[] | undefined;
  private conn: Conn | undefined;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private closed = false;
  private dropping = false;
  private lastLogged = "";
  private readonly c = { sent: 0, dropped: 0, connects: 0, errors: 0 };
  private lastError = "";

  /** Starts connecting at once: a collector that cannot be reached shows in status() before any alert. */
  constructor(private readonly o: SiemOptions) {
    this.queueSize = o.queueSize ?? 10_000;
    this.minRank = severityRank(o.minSeverity);
    this.maxBytes = o.maxMessageBytes ?? 8192;
    this.backoff = o.reconnectMs ?? { min: 250, max: 30_000 };
    this.delay = this.backoff.min;
    const facility = o.facility ?? DEFAULT_FACILITY;
    if (!Number.isInteger(facility) || facility < 0 || facility > 23) throw new RangeError(`siem: facility must be an integer 0-23, not ${facility}`);
    if (!Number.isInteger(this.queueSize) || this.queueSize < 1) throw new RangeError(`siem: queue size must be a positive integer, not ${this.queueSize}`);
    // Read once, here: a CA file that is missing is a configuration error to refuse at start, not
    // a connection failure to retry forever.
    this.ca = o.transport === "tls" && o.caFile !== undefined ? [...rootCertificates, readFileSync(o.caFile, "utf8")] : undefined;
    this.connect();
  }

  accept(notice: Notice): void {
    try {
      if (this.closing || severityRank(notice.alert.severity) < this.minRank || (!notice.fresh && !this.o.repeats)) return;
      if (this.queue.length >= this.queueSize) {
        this.c.dropped++;
        if (!this.dropping) {
          this.dropping = true;
          this.warn("siem queue full; dropping new alerts until the collector takes some", { queue_size: this.queueSize });
        }
        return;
      }
      this.dropping = false;
      this.queue.push(this.encode(notice));
      this.pump();
    } catch (e) {
      this.c.errors++;
      this.lastError = `encoding an alert: ${errorText(e)}`;
    }
  }

  status(): Record<string, number | string> {
    return {
      ...this.c,
      queued: this.queue.length,
      connected: this.conn?.up ? 1 : 0,
      last_error: this.lastError,
      target: `${this.o.transport}://${this.o.host}:${this.o.port}`,
    };
  }

  /** Flushes what it can within `deadlineMs`, then ends the connection. */
  async close(deadlineMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    const end = Date.now() + deadlineMs;
    // A reconnect scheduled past the deadline would make the flush a wait for nothing.
    if (this.queue.length > 0 && !this.conn) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.connect();
    }
    while (this.queue.length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const conn = this.conn;
    if (conn) {
      conn.ending = true;
      const gone = new Promise<void>((r) => conn.socket.once("close", () => r()));
      conn.socket.end();
      const left = Math.max(100, end - Date.now());
      let t: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise<void>((r) => (t = setTimeout(r, left)))]);
      clearTimeout(t);
      conn.dead = true;
      conn.socket.destroy();
      this.conn = undefined;
    }
    if (this.queue.length > 0) this.warn("siem closed with alerts not sent", { unsent: this.queue.length, target: this.status().target });
  }

  private encode(n: Notice): Buffer {
    const base = { hostname: this.o.hostname, appName: this.o.appName ?? "clawav", procId: process.pid, facility: this.o.facility ?? DEFAULT_FACILITY };
    const count = n.entry.count;
    const msg = this.o.format === "cef" ? rfc5424(n.alert, { ...base, structured: false, msg: cef(n.alert, VERSION, count) }) : rfc5424(n.alert, { ...base, structured: true, count });
    return frame(cutUtf8(msg, this.maxBytes));
  }

  private connect(): void {
    if (this.closed || this.conn) return;
    const { host, port } = this.o;
    const socket =
      this.o.transport === "tls"
        ? // SNI carries host names only (RFC 6066); an address is still checked against the certificate's IP SANs.
          tlsConnect({ host, port, ca: this.ca, servername: isIP(host) === 0 ? host : undefined, rejectUnauthorized: true })
        : netConnect({ host, port });
    const conn: Conn = { socket, up: false, upSince: 0, inflight: 0, delivered: 0, dead: false, ending: false, waitingDrain: false };
    this.conn = conn;
    socket.setTimeout(this.o.connectTimeoutMs ?? 10_000);
    socket.once("timeout", () => this.fail(conn, new Error("connecting timed out")));
    socket.once(this.o.transport === "tls" ? "secureConnect" : "connect", () => {
      if (conn.dead) return;
      socket.setTimeout(0);
      socket.setKeepAlive(true, 30_000);
      conn.up = true;
      conn.upSince = Date.now();
      this.c.connects++;
      this.lastLogged = "";
      this.pump();
    });
    socket.on("error", (e: Error) => this.fail(conn, e));
    socket.on("close", () => this.fail(conn, new Error("connection closed by the collector")));
    // A collector has nothing to say on this stream; whatever comes is read and forgotten so the
    // socket's buffers do not fill.
    socket.on("data", () => undefined);
  }

  private pump(): void {
    const conn = this.conn;
    if (!conn?.up || conn.dead || conn.waitingDrain) return;
    while (conn.inflight < this.queue.length) {
      const buf = this.queue[conn.inflight]!;
      conn.inflight++;
      const more = conn.socket.write(buf, (err) => this.written(conn, err));
      if (!more) {
        conn.waitingDrain = true;
        conn.socket.once("drain", () => {
          conn.waitingDrain = false;
          this.pump();
        });
        return;
      }
    }
  }

  private written(conn: Conn, err: Error | null | undefined): void {
    // A late callback of a connection given up is ignored: its messages are the next one's to send.
    if (conn !== this.conn || conn.dead) return;
    if (err) return this.fail(conn, err);
    this.queue.shift();
    // Writes complete in order, so the message this callback is for was the queue's head.
    conn.inflight--;
    conn.delivered++;
    this.c.sent++;
  }

  private fail(conn: Conn, e: Error): void {
    if (conn.dead) return;
    conn.dead = true;
    const wasUp = conn.up;
    conn.up = false;
    conn.socket.destroy();
    if (this.conn === conn) this.conn = undefined;
    if (conn.ending) return;
    this.c.errors++;
    this.lastError = errorText(e);
    // A connection that carried alerts, or lived a while, was a working one: start the backoff over.
    if (wasUp && (conn.delivered > 0 || Date.now() - conn.upSince >= 10_000)) this.delay = this.backoff.min;
    if (this.lastError !== this.lastLogged) {
      this.lastLogged = this.lastError;
      this.warn(wasUp ? "siem connection lost; reconnecting" : "siem collector unreachable; retrying", { target: this.status().target, error: this.lastError, retry_in_ms: this.delay, queued: this.queue.length });
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, this.backoff.max);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, wait);
    this.timer.unref();
  }

  private warn(msg: string, fields: Record<string, unknown>): void {
    try {
      this.o.log?.warn(msg, fields);
    } catch {
      // a logger that fails must not take the sink down with it
    }
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
