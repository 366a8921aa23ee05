// Remote policy: a signed bundle fetched from a policy server now and then, applied when it is
// newer than the one running, and refused (with the last good one kept) when anything is wrong:
// the server unreachable, an HTTP error, a bad signature, an older version, rules that do not load.
import type { ClientRequest, IncomingMessage } from "node:http";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";
import type { KeyObject } from "node:crypto";
import { EXIT, UserError } from "../errors/index.js";
import { VERSION } from "../version.js";
import { BundleError, compareVersions, ed25519PublicKey, isVersion, MAX_BUNDLE_BYTES, parseBundle, type Bundle } from "./format.js";
import { bundleRoot, commitBundle, CURRENT_FILE, discardBundleDir, writeBundleDir } from "./store.js";
import { join } from "node:path";

export interface RemotePolicyOptions {
  /** https://...; http://... only to a loopback host (see checkUrl). */
  url: string;
  /** The Ed25519 public key (PEM) bundles must be signed for. */
  publicKeyPem: string;
  /** A PEM file of CA certificates trusted besides the usual roots (a private policy server's CA). */
  caFile?: string;
  intervalMs: number;
  stateDir: string;
  /**
   * The version of the bundle running; anything not dotted numbers ("", "builtin") means none, and
   * then the version kept in the state folder (if any) is the floor a new bundle must not go below.
   */
  currentVersion(): string;
  /** Puts the bundle's rules in force; throwing (rules that do not compile) keeps the last good bundle. */
  onApply(dir: string, version: string): void;
  onFailure(reason: string): void;
  /** For the whole fetch, connect to last byte; default 10 s. */
  timeoutMs?: number;
}

export interface RemotePolicyStatus {
  url: string;
  version: string | null;
  last_fetch_ts: number | null;
  last_ok_ts: number | null;
  fetches: number;
  applied: number;
  failures: number;
  last_error: string | null;
}

/** Node's timers hold at most 2^31-1 ms; a longer delay fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, "; ").trim();
const messageOf = (e: unknown) => oneLine(e instanceof Error ? e.message : String(e));

export class RemotePolicy {
  private readonly url: URL;
  private readonly key: KeyObject;
  private readonly secureContext: SecureContext | undefined;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private request: ClientRequest | undefined;
  /** Set by stop(): a fetch cut off then is neither applied nor reported. fetchNow() works before start(). */
  private stopped = false;
  private readonly st = { fetches: 0, applied: 0, failures: 0, last_fetch_ts: null as number | null, last_ok_ts: null as number | null, last_error: null as string | null };

  constructor(private readonly o: RemotePolicyOptions) {
    this.url = checkUrl(o.url);
    try {
      this.key = ed25519PublicKey(o.publicKeyPem);
    } catch (e) {
      throw new UserError(`remote policy: ${e instanceof BundleError ? e.message : String(e)}`, EXIT.DATAERR);
    }
    if (o.caFile !== undefined) {
      let pem: string;
      try {
        pem = readFileSync(o.caFile, "utf8");
      } catch (e) {
        throw new UserError(`remote policy: ${o.caFile}: cannot read the CA file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
      }
      // One context for every fetch: a `ca` list on each request would parse all the roots again.
      // rootCertificates are Node's bundled Mozilla roots, the ones it trusts when given no `ca`.
      try {
        this.secureContext = createSecureContext({ ca: [...rootCertificates, pem] });
      } catch (e) {
        throw new UserError(`remote policy: ${o.caFile}: not PEM certificates (${messageOf(e)})`, EXIT.DATAERR);
      }
    }
    if (!Number.isInteger(o.intervalMs) || o.intervalMs < 1 || o.intervalMs > MAX_TIMER_MS) throw new UserError(`remote policy: interval ${o.intervalMs} ms: between 1 ms and ${MAX_TIMER_MS} ms`, EXIT.DATAERR);
    this.timeoutMs = o.timeoutMs ?? 10_000;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1 || this.timeoutMs > MAX_TIMER_MS) throw new UserError(`remote policy: timeout ${this.timeoutMs} ms: between 1 ms and ${MAX_TIMER_MS} ms`, EXIT.DATAERR);
  }

  /** A fetch now, then one every intervalMs; the timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.stopped = false;
    void this.fetchNow();
    this.timer = setInterval(() => void this.fetchNow(), this.o.intervalMs);
    this.timer.unref();
  }

  /** No more fetches; one under way is cut off, and its outcome neither applied nor reported. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.request?.destroy();
  }

  /** One fetch (or the one already under way): resolves when it has been applied or refused. */
  fetchNow(): Promise<void> {
    this.running ??= this.fetchOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  status(): RemotePolicyStatus {
    let version: string | null;
    try {
      version = this.o.currentVersion();
    } catch {
      version = null;
    }
    return { url: this.url.href, version, ...this.st };
  }

  private async fetchOnce(): Promise<void> {
    this.st.fetches++;
    this.st.last_fetch_ts = Date.now();
    try {
      let raw: Buffer;
      try {
        raw = await this.get();
      } catch (e) {
        return this.fail(`fetch failed: ${messageOf(e)}`);
      }
      if (this.stopped) return;
      const r = parseBundle(raw, this.key);
      if ("error" in r) return this.fail(`bundle refused: ${r.error.message}`);
      this.offer(r.bundle, raw.toString("utf8"));
    } catch (e) {
      this.fail(`internal error: ${messageOf(e)}`);
    }
  }

  private offer(b: Bundle, raw: string): void {
    const running = this.o.currentVersion();
    const kept = isVersion(running) ? undefined : this.keptVersion();
    const floor = isVersion(running) ? running : kept;
    if (floor !== undefined) {
      const c = compareVersions(b.version, floor);
      // An older bundle, even signed, may be one whose rules were since found wanting: refusing it
      // keeps whoever controls the server (or the path to it) from replaying it.
      if (c < 0) return this.fail(`rollback refused: offered ${b.version}, ${floor === running ? "running" : "last applied"} ${floor}`);
      if (c === 0 && floor === running) return this.ok();
    }
    let dir: string;
    try {
      dir = writeBundleDir(b, this.o.stateDir);
    } catch (e) {
      return this.fail(`bundle ${b.version}: cannot write it to ${bundleRoot(this.o.stateDir)}: ${messageOf(e)}`);
    }
    try {
      this.o.onApply(dir, b.version);
    } catch (e) {
      // The folder of the bundle still in force (the kept one, offered again) is left alone.
      if (b.version !== kept) discardBundleDir(this.o.stateDir, b.version);
      return this.fail(`bundle ${b.version} not applied: ${messageOf(e)}`);
    }
    try {
      commitBundle(b, this.o.stateDir, raw);
    } catch (e) {
      return this.fail(`bundle ${b.version} is in force but could not be kept in ${bundleRoot(this.o.stateDir)}: ${messageOf(e)}`);
    }
    this.st.applied++;
    this.ok();
  }

  /** The version of the bundle last kept in the state folder, if its file verifies. */
  private keptVersion(): string | undefined {
    let text: string;
    try {
      text = readFileSync(join(bundleRoot(this.o.stateDir), CURRENT_FILE), "utf8");
    } catch {
      return undefined;
    }
    const r = parseBundle(text, this.key);
    return "bundle" in r ? r.bundle.version : undefined;
  }

  private ok(): void {
    this.st.last_ok_ts = Date.now();
  }

  private fail(reason: string): void {
    if (this.stopped) return;
    this.st.failures++;
    this.st.last_error = reason;
    try {
      this.o.onFailure(reason);
    } catch {
      // The reporter's own trouble must not stop the fetches.
    }
  }

  private get(): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const headers = { accept: "application/json", "user-agent": `clawav/${VERSION}` };
      // agent: false: a fetch every few minutes needs no pooled connection, and none outlives stop().
      const req =
        this.url.protocol === "https:"
          ? httpsRequest(this.url, { method: "GET", headers, agent: false, rejectUnauthorized: true, ...(this.secureContext ? { secureContext: this.secureContext } : {}) })
          : httpRequest(this.url, { method: "GET", headers, agent: false });
      this.request = req;
      // The whole fetch is bounded, not each read: a server that sends a byte a second never idles.
      const timer = setTimeout(() => req.destroy(new Error(`timed out after ${this.timeoutMs / 1000} s`)), this.timeoutMs);
      const done = () => {
        clearTimeout(timer);
        if (this.request === req) this.request = undefined;
      };
      req.on("error", (e) => {
        done();
        reject(e);
      });
      req.on("close", done);
      req.on("response", (res: IncomingMessage) => {
        res.on("error", reject);
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          req.destroy();
          // Not followed: a redirect could take the fetch to a host the configuration never named.
          reject(new Error(`HTTP ${status}${status >= 300 && status < 400 ? " (redirects are not followed)" : ""}`));
          return;
        }
        const declared = Number(res.headers["content-length"]);
        if (declared > MAX_BUNDLE_BYTES) {
          req.destroy();
          reject(new Error(`the server offers ${declared} bytes, over the ${MAX_BUNDLE_BYTES} a bundle may have`));
          return;
        }
        const parts: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_BUNDLE_BYTES) {
            req.destroy();
            reject(new Error(`over the ${MAX_BUNDLE_BYTES} bytes a bundle may have`));
            return;
          }
          parts.push(c);
        });
        res.on("end", () => resolve(Buffer.concat(parts)));
        res.on("close", () => {
          if (!res.complete) reject(new Error("the connection closed before the whole bundle came"));
        });
      });
      req.end();
    });
  }
}

/**
 * https only, or http to this host itself. The bundle's signature keeps its rules honest over any
 * transport, but not its freshness: on plain http anyone on the path can withhold new bundles (or
 * serve a 404 forever) without a trace, and sees which policies a host fetches. Over loopback there
 * is no path to stand on (a local mirror or sidecar), so plain http is allowed there and only there.
 */
function checkUrl(text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UserError(`remote policy: ${JSON.stringify(text)} is not a URL`, EXIT.DATAERR);
  }
  if (u.username !== "" || u.password !== "") throw new UserError(`remote policy: ${u.host}: no user or password in the URL (they would show in status and logs)`, EXIT.DATAERR);
  if (u.protocol === "https:") return u;
  if (u.protocol === "http:") {
    if (isLoopback(u.hostname)) return u;
    throw new UserError(`remote policy: ${text}: plain http only to a loopback host (127.0.0.1, ::1, localhost); use https`, EXIT.DATAERR);
  }
  throw new UserError(`remote policy: ${text}: the URL must be https://`, EXIT.DATAERR);
}

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h === "::1";
}
