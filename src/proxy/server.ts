// The LLM API proxy: the agent talks to it with a virtual key; it checks who is asking, what the
// key may do and what the request carries, swaps in the real key and passes the request on over
// verified TLS, the answer coming back chunk by chunk as it arrives.
import { chmodSync, lstatSync, readFileSync, unlinkSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { createSecureContext, rootCertificates } from "node:tls";
import { peerOf } from "../admin/index.js";
import { EXIT, UserError } from "../errors/index.js";
import type { Category, Severity } from "../events/index.js";
import type { Logger } from "../log/index.js";
import type { PatternSet } from "../patterns/index.js";
import { ScanCache, scanBody, scanToolResults, type DlpFinding } from "./dlp.js";
import type { Fingerprints } from "./fingerprints.js";
import { hashKey, loadKeyRing, modelAllowed, realKey, refreshKeyRing, type KeyRing, type VirtualKey } from "./keys.js";
import { Limits } from "./limits.js";
import { tcpPeerUid } from "./peer.js";
import { authHeaders, modelOf, presentedKey, refusal, SseUsage, toolResults, usageOf, type Api, type Refusal } from "./providers.js";

export interface ProxySettings {
  bind: string;
  port: number;
  socket?: string;
  keys_file: string;
  ca_file?: string;
  upstreams: { name: string; api: Api; url: string }[];
  max_body_mb: number;
  dlp: boolean;
  scan_responses: boolean;
  tool_results: "off" | "warn" | "block";
}

/** What the proxy saw that a person should know: an alert, in the daemon. */
export interface ProxyFinding {
  rule: string;
  severity: Severity;
  category: Category;
  mitre: readonly string[];
  summary: string;
  uid?: number;
  key?: string;
  upstream?: string;
}

export interface ProxyOptions {
  settings: ProxySettings;
  privacy?: PatternSet;
  injection?: PatternSet;
  fingerprints?: Fingerprints;
  onFinding: (f: ProxyFinding) => void;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface KeyCounters {
  requests: number;
  refused: number;
  blocked: number;
  redacted: number;
  warned: number;
  tokens_today: number;
  requests_last_minute: number;
}

export interface ProxyStatus {
  port?: number;
  socket?: string;
  keys: number;
  active: number;
  requests: number;
  refused: number;
  blocked: number;
  redacted: number;
  upstream_errors: number;
  unknown_keys: number;
  /** Long literals whose DLP result was known already (a conversation sent again) and those read anew. */
  scan_cache: { hits: number; misses: number };
  by_key: Record<string, KeyCounters & { upstream: string; uid?: number; revoked: boolean }>;
}

const HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "x-api-key", "authorization", "api-key", "accept-encoding"]);
const UPSTREAM_TIMEOUT_MS = 600_000;
/** A JSON answer is kept up to this much to read its usage; past it, only passed on. */
const KEEP_JSON = 4 << 20;

export class LlmProxy {
  private ring: KeyRing;
  private ringCheckedAt = 0;
  private readonly agent: Agent;
  private readonly servers: Server[] = [];
  private readonly peers = new WeakMap<Socket, Promise<number | undefined>>();
  readonly limits = new Limits();
  private scanCache = new ScanCache();
  /** The privacy and injection databases in force (a signed policy bundle may replace them). */
  private dbs: { privacy?: PatternSet; injection?: PatternSet };
  private readonly counts = { active: 0, requests: 0, refused: 0, blocked: 0, redacted: 0, upstream_errors: 0, unknown_keys: 0 };
  private readonly perKey = new Map<string, { requests: number; refused: number; blocked: number; redacted: number; warned: number }>();
  private port: number | undefined;

  constructor(private readonly o: ProxyOptions) {
    this.ring = loadKeyRing(o.settings.keys_file);
    this.dbs = { ...(o.privacy ? { privacy: o.privacy } : {}), ...(o.injection ? { injection: o.injection } : {}) };
    // One secure context for every upstream connection: a `ca` list given to the agent would be
    // parsed again for each new connection (all the system's roots), and named in each request's pool key.
    const ca = o.settings.ca_file ? [...rootCertificates, readFileSync(o.settings.ca_file, "utf8")] : undefined;
    this.agent = new Agent({ keepAlive: true, maxSockets: 1024, ...(ca ? { secureContext: createSecureContext({ ca }) } : {}) });
  }

  /** Puts other databases in force between two requests (a request under way keeps the ones it began with). */
  setDatabases(d: { privacy?: PatternSet; injection?: PatternSet }): void {
    this.dbs = d;
    // Verdicts cached under the old databases are not the new ones'.
    this.scanCache = new ScanCache();
  }

  async start(): Promise<void> {
    const s = this.o.settings;
    const tcp = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE" || e.code === "EACCES" ? new UserError(`proxy: cannot listen on ${s.bind}:${s.port} (${e.code}): set proxy.port (or --port) to a free one`, EXIT.UNAVAILABLE) : e));
      tcp.listen(s.port, s.bind === "localhost" ? "127.0.0.1" : s.bind, () => resolve());
    });
    this.port = (tcp.address() as AddressInfo).port;
    this.servers.push(tcp);
    if (s.socket) {
      const path = s.socket;
      try {
        if (lstatSync(path).isSocket()) unlinkSync(path);
      } catch {
        // none yet
      }
      const unix = createServer((req, res) => void this.handle(req, res));
      await new Promise<void>((resolve, reject) => {
        unix.once("error", reject);
        unix.listen(path, () => resolve());
      });
      // Any local user may connect: the virtual key and the peer's uid decide, not the file mode.
      chmodSync(path, 0o666);
      this.servers.push(unix);
    }
    this.o.log.info("llm proxy listening", { address: s.bind, port: this.port, ...(s.socket ? { socket: s.socket } : {}), keys: this.ring.keys.length, upstreams: s.upstreams.map((u) => `${u.name} ${u.url}`) });
  }

  async stop(): Promise<void> {
    for (const srv of this.servers) {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
    this.servers.length = 0;
    this.agent.destroy();
    if (this.o.settings.socket) {
      try {
        unlinkSync(this.o.settings.socket);
      } catch {
        // gone already
      }
    }
  }

  get address(): { port?: number; socket?: string } {
    return { ...(this.port !== undefined ? { port: this.port } : {}), ...(this.o.settings.socket ? { socket: this.o.settings.socket } : {}) };
  }

  status(): ProxyStatus {
    const by_key: ProxyStatus["by_key"] = {};
    for (const k of this.ring.keys) {
      const c = this.perKey.get(k.id) ?? { requests: 0, refused: 0, blocked: 0, redacted: 0, warned: 0 };
      by_key[k.id] = { ...c, ...this.limits.now(k.id), upstream: k.upstream, ...(k.uid !== undefined ? { uid: k.uid } : {}), revoked: k.revoked };
    }
    return { ...this.address, keys: this.ring.keys.length, ...this.counts, scan_cache: { hits: this.scanCache.hits, misses: this.scanCache.misses }, by_key };
  }

  private keys(): KeyRing {
    const now = Date.now();
    if (now - this.ringCheckedAt > 1000) {
      this.ringCheckedAt = now;
      try {
        this.ring = refreshKeyRing(this.ring);
      } catch (e) {
        // A broken edit keeps the keys last read, and says so.
        this.o.log.error("proxy keys file unreadable; the keys last read stay in force", { error: e instanceof Error ? e.message : String(e) });
      }
    }
    return this.ring;
  }

  private count(id: string, what: "requests" | "refused" | "blocked" | "redacted" | "warned"): void {
    let c = this.perKey.get(id);
    if (!c) this.perKey.set(id, (c = { requests: 0, refused: 0, blocked: 0, redacted: 0, warned: 0 }));
    c[what]++;
  }

  private peerUid(req: IncomingMessage): Promise<number | undefined> {
    const sock = req.socket;
    let p = this.peers.get(sock);
    if (!p) {
      p = sock.remotePort === undefined ? peerOf(sock).then((x) => x.uid) : Promise.resolve(tcpPeerUid(sock.remoteAddress, sock.remotePort, sock.localPort));
      this.peers.set(sock, p);
    }
    return p;
  }

  /** Answers in the provider's error shape; `blocked`: a DLP or tool-result block, counted as such, not as a refusal. */
  private refuse(res: ServerResponse, api: Api, kind: Refusal, message: string, blocked = false): void {
    if (!blocked) this.counts.refused++;
    // A body not read yet is drained, so the connection can serve the next request.
    res.req.resume();
    const r = refusal(api, kind, message);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(r.status, { "content-type": "application/json", "content-length": Buffer.byteLength(r.body), ...(kind === "rate_limit" ? { "retry-after": "60" } : {}) });
    res.end(r.body);
  }

  private finding(f: ProxyFinding): void {
    try {
      this.o.onFinding(f);
    } catch (e) {
      this.o.log.error("proxy finding not delivered", { rule: f.rule, error: String(e) });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counts.requests++;
    const guessApi: Api = req.headers["x-api-key"] !== undefined || req.headers["anthropic-version"] !== undefined ? "anthropic" : "openai";
    const presented = presentedKey(req.headers);
    const uid = await this.peerUid(req);
    const who = uid !== undefined ? `uid ${uid}` : "an unknown local client";
    if (presented === undefined) {
      return this.refuse(res, guessApi, "authentication", "clawav proxy: no API key: use the virtual key clawav gave you (clawav-vk-...)");
    }
    const hash = hashKey(presented);
    const key = this.keys().keys.find((k) => k.hash === hash);
    if (!key) {
      this.counts.unknown_keys++;
      const real = !presented.startsWith("clawav-vk-");
      this.finding({ rule: real ? "real-key-presented" : "unknown-key", severity: real ? "critical" : "warning", category: "CRED_ACCESS", mitre: ["T1552", "T1078"], summary: real ? `${who} sent the proxy a key that is no virtual key (a real provider key, or a guess): ${req.method} ${req.url}` : `${who} used a virtual key the proxy does not know: ${req.method} ${req.url}`, ...(uid !== undefined ? { uid } : {}) });
      return this.refuse(res, guessApi, "authentication", "clawav proxy: unknown API key");
    }
    const up = this.o.settings.upstreams.find((u) => u.name === key.upstream);
    const api = up?.api ?? guessApi;
    const base = { ...(uid !== undefined ? { uid } : {}), key: key.id, upstream: key.upstream };
    if (key.revoked) {
      this.count(key.id, "refused");
      this.finding({ rule: "key-revoked", severity: "warning", category: "CRED_ACCESS", mitre: ["T1078"], summary: `${who} used the revoked virtual key ${key.id}`, ...base });
      return this.refuse(res, api, "authentication", `clawav proxy: the key ${key.id} is revoked`);
    }
    if (key.uid !== undefined && uid !== key.uid) {
      this.count(key.id, "refused");
      this.finding({ rule: "key-wrong-agent", severity: "critical", category: "CRED_ACCESS", mitre: ["T1550", "T1078"], summary: `${who} used the virtual key ${key.id}, which is bound to uid ${key.uid}: a stolen key`, ...base });
      return this.refuse(res, api, "permission", `clawav proxy: the key ${key.id} is not yours to use`);
    }
    if (!up) {
      this.o.log.error("proxy key names no configured upstream", { key: key.id, upstream: key.upstream });
      return this.refuse(res, api, "upstream", `clawav proxy: the key's upstream "${key.upstream}" is not configured`);
    }
    const real = realKey(key, this.o.env);
    if (real === undefined) {
      this.o.log.error("proxy key has no real key", { key: key.id, env: key.real_key_env });
      return this.refuse(res, api, "upstream", `clawav proxy: no real key is configured for ${key.id}`);
    }
    const over = this.limits.check(key);
    if (over) {
      this.count(key.id, "refused");
      this.finding({ rule: "limit-reached", severity: "info", category: "EXECUTION", mitre: [], summary: `${who}, key ${key.id}: ${over}`, ...base });
      return this.refuse(res, api, "rate_limit", `clawav proxy: ${over}`);
    }
    let body: Buffer;
    try {
      body = await readBody(req, this.o.settings.max_body_mb * 1024 * 1024);
    } catch (e) {
      if (e instanceof TooLarge) return this.refuse(res, api, "too_large", `clawav proxy: the request is over ${this.o.settings.max_body_mb} MB`);
      return;
    }
    this.count(key.id, "requests");
    const text = body.toString("utf8");
    let doc: unknown;
    let json = false;
    const lead = text.trimStart()[0];
    if (lead === "{" || lead === "[") {
      try {
        doc = JSON.parse(text);
        json = true;
      } catch {
        json = false;
      }
    }
    const model = modelOf(doc);
    if (json && model !== undefined && !modelAllowed(key, model)) {
      this.count(key.id, "refused");
      this.finding({ rule: "model-refused", severity: "warning", category: "EXECUTION", mitre: [], summary: `${who}, key ${key.id}: asked for model ${model}, not among ${key.models.join(", ")}`, ...base });
      return this.refuse(res, api, "permission", `clawav proxy: the model ${model} is not allowed for this key`);
    }
    let out = body;
    if (this.o.settings.dlp && body.length > 0) {
      const r = scanBody({ privacy: this.dbs.privacy, fingerprints: this.o.fingerprints, cache: this.scanCache }, text, json);
      for (const f of r.findings) this.dlpFinding(f, who, base, r.blocked);
      if (r.blocked) {
        this.counts.blocked++;
        this.count(key.id, "blocked");
        const what = [...new Set(r.findings.filter((f) => f.action === "block").map((f) => f.description))].join("; ");
        return this.refuse(res, api, "permission", `clawav proxy: the request was blocked: it holds ${what}`, true);
      }
      if (r.redacted !== undefined) {
        this.counts.redacted++;
        this.count(key.id, "redacted");
        out = Buffer.from(r.redacted, "utf8");
      }
      if (r.findings.some((f) => f.action === "warn")) this.count(key.id, "warned");
    }
    if (json && this.o.settings.tool_results !== "off") {
      const inj = scanToolResults(this.dbs.injection, toolResults(api, doc));
      for (const f of inj) this.finding({ rule: `tool-result/${f.id}`, severity: f.severity === "info" ? "info" : "warning", category: f.category, mitre: f.mitre, summary: `${who}, key ${key.id}: a tool result passed back to the model holds ${f.description}: ${f.excerpt}`, ...base });
      if (inj.length > 0 && this.o.settings.tool_results === "block") {
        this.counts.blocked++;
        this.count(key.id, "blocked");
        return this.refuse(res, api, "permission", `clawav proxy: a tool result holds a prompt injection (${inj.map((f) => f.id).join(", ")})`, true);
      }
    }
    // Only what goes upstream counts toward the key's requests per minute.
    this.limits.request(key.id);
    this.forward(req, res, key, up, real, out, api);
  }

  private dlpFinding(f: DlpFinding, who: string, base: Omit<ProxyFinding, "rule" | "severity" | "category" | "mitre" | "summary">, blocked: boolean): void {
    const done = f.action === "block" ? "blocked" : f.action === "redact" ? (blocked ? "blocked (with others)" : "redacted") : "passed on (warn)";
    this.finding({ rule: `dlp/${f.id}`, severity: f.severity, category: f.category, mitre: f.mitre, summary: `${who}, key ${base.key}: a request to ${base.upstream} held ${f.description}; ${done}: ${f.excerpt}`, ...base });
  }

  private forward(req: IncomingMessage, res: ServerResponse, key: VirtualKey, up: { name: string; api: Api; url: string }, real: string, body: Buffer, api: Api): void {
    const base = new URL(up.url);
    const path = `${base.pathname.replace(/\/$/, "")}${req.url ?? "/"}`;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    Object.assign(headers, authHeaders(up.api, real), { host: base.host, "content-length": String(body.length), "accept-encoding": "identity" });
    this.counts.active++;
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        this.counts.active--;
      }
    };
    const upReq = httpsRequest({ protocol: "https:", hostname: base.hostname, port: base.port || 443, method: req.method, path, headers, agent: this.agent, timeout: UPSTREAM_TIMEOUT_MS }, (upRes) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      if (upRes.headers["content-length"] !== undefined) out["content-length"] = upRes.headers["content-length"];
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
      const type = String(upRes.headers["content-type"] ?? "");
      // A stream's headers go at once (the SDK waits for them before the first event); a whole answer's go with its body, in one write.
      if (type.includes("text/event-stream")) res.flushHeaders();
      const sse = type.includes("text/event-stream") ? new SseUsage() : undefined;
      const kept: Buffer[] = [];
      let keptLen = 0;
      const respScan = this.o.settings.scan_responses && this.dbs.privacy ? new ResponseScan() : undefined;
      upRes.on("data", (chunk: Buffer) => {
        if (sse) sse.push(chunk.toString("utf8"));
        else if (keptLen < KEEP_JSON) {
          kept.push(chunk);
          keptLen += chunk.length;
        }
        respScan?.push(chunk.toString("utf8"), (t) => this.scanResponse(t, key, up.name));
      });
      upRes.on("end", () => {
        finish();
        let usage = sse?.seen ? sse.usage : undefined;
        if (!sse && keptLen < KEEP_JSON && type.includes("json")) {
          try {
            usage = usageOf(JSON.parse(Buffer.concat(kept).toString("utf8")));
          } catch {
            usage = undefined;
          }
        }
        respScan?.end((t) => this.scanResponse(t, key, up.name));
        if (usage) this.limits.tokens(key.id, usage.input + usage.output);
      });
      upRes.on("error", finish);
      upRes.pipe(res);
    });
    upReq.on("timeout", () => upReq.destroy(new Error("upstream timed out")));
    upReq.on("error", (e: NodeJS.ErrnoException) => {
      finish();
      this.counts.upstream_errors++;
      this.o.log.warn("llm proxy: upstream failed", { upstream: up.name, url: up.url, error: e.code ?? e.message });
      if (!res.headersSent) this.refuse(res, api, "upstream", `clawav proxy: the upstream ${up.name} could not be reached (${e.code ?? e.message})`);
      else res.destroy();
    });
    // The agent gave up: so does the proxy, at once (a stream may run for minutes).
    res.on("close", () => {
      if (!res.writableFinished) upReq.destroy();
      finish();
    });
    upReq.end(body);
  }

  private scanResponse(text: string, key: VirtualKey, upstream: string): void {
    for (const h of this.dbs.privacy?.matchAll(text) ?? []) {
      this.finding({ rule: `dlp-response/${h.id}`, severity: h.severity, category: h.category ?? "DATA_EXFIL", mitre: h.mitre ?? ["T1552"], summary: `a response from ${upstream} to key ${key.id} held ${h.description} (passed on: a response is only reported)`, key: key.id, upstream, ...(key.uid !== undefined ? { uid: key.uid } : {}) });
    }
  }
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let len = 0;
    req.on("data", (c: Buffer) => {
      len += c.length;
      if (len > max) {
        req.removeAllListeners("data");
        req.resume();
        reject(new TooLarge());
        return;
      }
      parts.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

/** A response read in slices of up to 64 KB with an overlap, so a secret across two chunks is still seen once. */
class ResponseScan {
  private buf = "";
  private static readonly SLICE = 64 * 1024;
  private static readonly OVERLAP = 512;

  push(s: string, scan: (t: string) => void): void {
    this.buf += s;
    if (this.buf.length >= ResponseScan.SLICE) {
      scan(this.buf);
      this.buf = this.buf.slice(-ResponseScan.OVERLAP);
    }
  }

  end(scan: (t: string) => void): void {
    if (this.buf.length > 0) scan(this.buf);
    this.buf = "";
  }
}
