import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP } from "node:net";
import { CATEGORIES, SEVERITIES, parseSeverity, severityRank, type Alert, type AlertEntry, type AlertSink, type Notice, type Severity } from "../events/index.js";
import { Ring } from "./ring.js";
import { CSP, page, type WebSessions } from "./web.js";
import { UserError } from "../errors/index.js";
import { checkToken } from "./token.js";

/** What the daemon shows through the API. */
export interface ApiState {
  status(): Record<string, unknown>;
}

export interface Route {
  method: "GET" | "POST";
  /** Exact path, or a prefix ending in "/" whose rest is passed as `param`. */
  path: string;
  requireToken: boolean;
  /** A string body is HTML, unless `type` names another text type (Prometheus's exposition format). */
  handle(req: IncomingMessage, url: URL, param: string): Promise<{ status: number; body: unknown; type?: string }> | { status: number; body: unknown; type?: string };
  /** A route that answers on the response itself and keeps it open (a stream); `handle` is then unused. */
  stream?(res: ServerResponse, url: URL): void;
}

export interface ApiOptions {
  bind: string;
  port: number;
  token: string;
  state: ApiState;
  ringSize?: number;
  /** The web dashboard: sessions by admin-key login. Absent: no /ui. */
  web?: WebSessions;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** An alert as /api/alerts lists it: the first of its entry, with how often it repeated. */
export type ListedAlert = Alert & { count: number; first_ts: number; last_ts: number; last_event_id: string };

/**
 * The JSON API. Loopback by default. Everything but the page and the liveness check wants the
 * bearer token, reads too: the agent is a local user, and what clawav saw of it (alerts, sources,
 * counters) tells it what to avoid. Bound beyond loopback, every endpoint wants it. Every detection is listed: repeats of one
 * fold into its entry (count, first and last time); the newest entries are kept in a ring whose
 * evictions are counted.
 */
/** A client of the live alert stream, with what it asked to see. */
interface Stream {
  res: ServerResponse;
  min?: Severity;
  categories?: ReadonlySet<string>;
  agent?: string;
}

/** Live streams at once, at most; a client whose unread output passes MAX_BACKLOG is cut off. */
const MAX_STREAMS = 32;
const MAX_BACKLOG = 1 << 20;

export class ApiServer implements AlertSink {
  readonly name = "api";
  private readonly streams = new Set<Stream>();
  readonly streamCounts = { open: 0, opened: 0, refused_full: 0, cut_slow: 0, sent: 0 };
  private heartbeat: NodeJS.Timeout | undefined;
  readonly alerts: Ring<AlertEntry>;
  private readonly routes: Route[] = [];
  private server: Server | undefined;
  private readonly counts = { severity: new Map<string, number>(), category: new Map<string, number>(), source: new Map<string, number>() };
  private readonly loopbackOnly: boolean;

  constructor(private readonly o: ApiOptions) {
    this.alerts = new Ring<AlertEntry>(o.ringSize ?? 1000);
    this.loopbackOnly = isLoopback(o.bind);
    this.routes.push(
      { method: "GET", path: "/", requireToken: false, handle: () => ({ status: 200, body: PAGE }) },
      { method: "GET", path: "/api/health", requireToken: false, handle: () => ({ status: 200, body: { ok: true, uptime_s: Math.round(process.uptime()) } }) },
      { method: "GET", path: "/api/status", requireToken: true, handle: () => ({ status: 200, body: { ...o.state.status(), api: { alerts_kept: this.alerts.length, alerts_evicted: this.alerts.evicted, streams: { ...this.streamCounts }, ...(o.web ? { web: { ...o.web.counts } } : {}) } } }) },
      { method: "GET", path: "/api/alerts", requireToken: true, handle: (_req, url) => ({ status: 200, body: url.searchParams.get("format") === "array" ? this.queryAlerts(url).alerts : this.queryAlerts(url) }) },
      { method: "GET", path: "/api/security", requireToken: true, handle: () => ({ status: 200, body: this.security() }) },
      { method: "GET", path: "/api/alerts/stream", requireToken: true, handle: () => ({ status: 406, body: { error: "a stream" } }), stream: (res, url) => this.openStream(res, url) },
    );
  }

  /** For later parts (approvals, release): a route, POST ones always behind the token. */
  addRoute(r: Route): void {
    this.routes.push({ ...r, requireToken: r.requireToken || r.method !== "GET" });
  }

  accept(n: Notice): void {
    const a = n.alert;
    if (n.fresh) this.alerts.push(n.entry);
    if (this.streams.size > 0) this.publish(n);
    bump(this.counts.severity, a.severity);
    bump(this.counts.category, a.category);
    bump(this.counts.source, String(a.event.source));
  }

  async listen(): Promise<AddressInfo> {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((e: unknown) => send(res, 500, { error: "internal error", detail: e instanceof Error ? e.message : String(e) }));
    });
    const server = this.server;
    // A slow or idle client must not hold the API: bounded headers, requests, idle time and connections.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    server.maxConnections = 256;
    server.setTimeout(60_000);
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(e.code === "EADDRINUSE" || e.code === "EACCES" || e.code === "EADDRNOTAVAIL" ? new UserError(`api: cannot listen on ${this.o.bind}:${this.o.port} (${e.code}): is another clawav running? Set api.port or --api-port`) : e),
      );
      server.listen(this.o.port, this.o.bind, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const st of this.streams) st.res.end();
    this.streams.clear();
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://clawav.invalid");
    if (this.o.web && (url.pathname === "/ui" || url.pathname.startsWith("/ui/"))) {
      try {
        return await this.serveUi(this.o.web, req, res, url);
      } catch (e) {
        if (e instanceof HttpError) return send(res, e.status, { error: e.message });
        throw e;
      }
    }
    const matching = this.routes.filter((r) => r.path === url.pathname || (r.path.endsWith("/") && r.path !== "/" && url.pathname.startsWith(r.path)));
    if (matching.length === 0) return send(res, 404, { error: `no such endpoint: ${url.pathname}` });
    // HEAD is GET without the body (Node's server leaves the body out by itself).
    const method = req.method === "HEAD" ? "GET" : req.method;
    const route = matching.find((r) => r.method === method);
    if (!route) return send(res, 405, { error: `${req.method ?? "?"} not allowed on ${url.pathname}` }, { Allow: [...new Set(matching.flatMap((r) => (r.method === "GET" ? ["GET", "HEAD"] : [r.method])))].join(", ") });
    // The dashboard's session stands for the token; its POSTs must carry the session's CSRF token.
    const session = req.headers.authorization === undefined ? this.o.web?.sessionOf(req) : undefined;
    if (session && route.method === "POST" && !this.o.web!.csrfOk(req, session)) return send(res, 403, { error: "missing or wrong X-CSRF-Token for this session" });
    if ((route.requireToken || !this.loopbackOnly) && !session) {
      const t = checkToken(req.headers.authorization, this.o.token);
      if (t === "missing") return send(res, 401, { error: "a bearer token is required (Authorization: Bearer <token from the api-token file>)" }, { "WWW-Authenticate": "Bearer" });
      if (t === "wrong") return send(res, 403, { error: "the bearer token does not match" }, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
    }
    if (route.stream) return route.stream(res, url);
    try {
      const r = await route.handle(req, url, route.path.endsWith("/") ? url.pathname.slice(route.path.length) : "");
      if (typeof r.body === "string" && r.type !== undefined) {
        res.writeHead(r.status, { "Content-Type": r.type, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
        res.end(r.body);
      } else if (typeof r.body === "string") {
        res.writeHead(r.status, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'", "X-Content-Type-Options": "nosniff" });
        res.end(r.body);
      } else send(res, r.status, r.body);
    } catch (e) {
      if (e instanceof HttpError) return send(res, e.status, { error: e.message });
      throw e;
    }
  }

  private async serveUi(web: WebSessions, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const html = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cache-Control": "no-store", ...headers });
      res.end(body);
    };
    const p = url.pathname;
    if (req.method === "GET" && (p === "/ui" || p === "/ui/")) return html(200, page(web.links, web.sessionOf(req) !== undefined));
    if (req.method === "GET" && p.startsWith("/ui/assets/")) {
      if (!web.serveAsset(p.slice("/ui/assets/".length), req, res)) send(res, 404, { error: "no such asset" });
      return;
    }
    if (req.method === "GET" && p === "/ui/session") {
      const s = web.sessionOf(req);
      return s ? send(res, 200, { csrf: s.csrf }) : send(res, 401, { error: "not signed in" });
    }
    if (req.method === "POST" && p === "/ui/login") {
      const body = await readFormBody(req, 4096);
      const r = web.login(req.socket.remoteAddress ?? "unknown", body.get("key") ?? "");
      if (!r.ok) return html(r.status, page(web.links, false, r.error));
      res.writeHead(303, { Location: "/ui", "Set-Cookie": web.cookie(r.sid), "Cache-Control": "no-store" });
      return void res.end();
    }
    if (req.method === "POST" && p === "/ui/logout") {
      const s = web.sessionOf(req);
      if (!s || !web.csrfOk(req, s)) return send(res, 403, { error: "missing or wrong X-CSRF-Token for this session" });
      web.logout(req);
      res.writeHead(204, { "Set-Cookie": web.cookie("", 0) });
      return void res.end();
    }
    send(res, 404, { error: `no such page: ${p}` });
  }

  /**
   * Server-sent events: each alert as it is recorded (`event: alert`, the listed shape with
   * `count`, and `repeat` for a fold into an earlier entry), filtered by `severity` (at least),
   * `category` (a comma list) and `agent`; a comment line every 15 s keeps proxies from closing it.
   */
  private openStream(res: ServerResponse, url: URL): void {
    const sevText = url.searchParams.get("severity");
    const min = sevText === null ? undefined : parseSeverity(sevText);
    if (sevText !== null && !min) return send(res, 400, { error: `severity: want one of ${SEVERITIES.join(", ")}` });
    const cat = url.searchParams.get("category");
    const categories = cat === null ? undefined : new Set(cat.split(",").map((c) => c.trim().toUpperCase()));
    const unknown = categories ? [...categories].filter((c) => !(CATEGORIES as readonly string[]).includes(c)) : [];
    if (unknown.length > 0) return send(res, 400, { error: `category: ${unknown.join(", ")} is not one of ${CATEGORIES.join(", ")}` });
    if (this.streams.size >= MAX_STREAMS) {
      this.streamCounts.refused_full++;
      return send(res, 503, { error: `${MAX_STREAMS} alert streams are open already` }, { "Retry-After": "10" });
    }
    const agent = url.searchParams.get("agent") ?? undefined;
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no", Connection: "keep-alive" });
    res.write(": clawav alert stream\n\n");
    const st: Stream = { res, ...(min ? { min } : {}), ...(categories ? { categories } : {}), ...(agent !== undefined ? { agent } : {}) };
    this.streams.add(st);
    this.streamCounts.opened++;
    this.streamCounts.open = this.streams.size;
    res.socket?.setTimeout(0);
    res.on("close", () => {
      this.streams.delete(st);
      this.streamCounts.open = this.streams.size;
    });
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => {
        for (const s of this.streams) s.res.write(": keepalive\n\n");
      }, 15_000);
      this.heartbeat.unref();
    }
  }

  private publish(n: Notice): void {
    const a = n.alert;
    let line: string | undefined;
    for (const st of this.streams) {
      if (st.min && severityRank(a.severity) < severityRank(st.min)) continue;
      if (st.categories && !st.categories.has(a.category)) continue;
      if (st.agent !== undefined && a.event.process?.agent !== st.agent) continue;
      if (st.res.writableLength > MAX_BACKLOG) {
        // A reader that does not keep up is cut off rather than held in memory; it reconnects and reads /api/alerts.
        this.streamCounts.cut_slow++;
        this.streams.delete(st);
        st.res.destroy();
        continue;
      }
      line ??= `id: ${a.event_id}\nevent: alert\ndata: ${JSON.stringify({ ...a, count: n.entry.count, first_ts: n.entry.first_ts, last_ts: n.entry.last_ts, last_event_id: n.entry.last_event_id, repeat: !n.fresh })}\n\n`;
      st.res.write(line);
      this.streamCounts.sent++;
    }
    this.streamCounts.open = this.streams.size;
  }

  private queryAlerts(url: URL): { alerts: ListedAlert[]; total: number } {
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, "limit: want a whole number from 1 to 1000");
    const sevText = url.searchParams.get("severity");
    let min: Severity | undefined;
    if (sevText !== null) {
      min = parseSeverity(sevText);
      if (!min) throw new HttpError(400, `severity: want one of ${SEVERITIES.join(", ")}`);
    }
    const sinceText = url.searchParams.get("since");
    let since: number | undefined;
    if (sinceText !== null) {
      since = /^\d+$/.test(sinceText) ? Number(sinceText) : Date.parse(sinceText);
      if (!Number.isFinite(since)) throw new HttpError(400, "since: want milliseconds since the epoch or an ISO 8601 time");
    }
    const all = this.alerts.newest().filter((x) => (min === undefined || severityRank(x.alert.severity) >= severityRank(min)) && (since === undefined || x.last_ts >= since));
    return { alerts: all.slice(0, limit).map((x) => ({ ...x.alert, count: x.count, first_ts: x.first_ts, last_ts: x.last_ts, last_event_id: x.last_event_id })), total: all.length };
  }

  security(): { by_severity: Record<string, number>; by_category: Record<string, number>; by_source: Record<string, number>; total: number } {
    const obj = (m: Map<string, number>, keys: readonly string[] = []) => Object.fromEntries([...keys.map((k) => [k, 0] as [string, number]), ...m]);
    return { by_severity: obj(this.counts.severity, SEVERITIES), by_category: obj(this.counts.category, CATEGORIES), by_source: obj(this.counts.source), total: [...this.counts.severity.values()].reduce((a, b) => a + b, 0) };
  }
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

export function isLoopback(bind: string): boolean {
  if (bind === "localhost" || bind === "::1") return true;
  return isIP(bind) === 4 && bind.startsWith("127.");
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>clawav</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;color:#222}code{background:#eee;padding:0 .2em}</style></head>
<body><h1>clawav</h1><p>A security watchdog for AI agents. JSON endpoints; all but the health check want
<code>Authorization: Bearer &lt;token&gt;</code>, the token being in the state folder's <code>api-token</code>
(readable by root only), e.g. <code>curl -H "Authorization: Bearer $(sudo cat /var/lib/clawav/api-token)" http://127.0.0.1:18791/api/status</code>:</p><ul>
<li><a href="/ui"><code>/ui</code></a>: the dashboard (sign in with the admin key)</li>
<li><a href="/api/health"><code>/api/health</code></a></li>
<li><a href="/api/status"><code>/api/status</code></a>: sources, queue, chain, counters</li>
<li><a href="/metrics"><code>/metrics</code></a>: the same counters in Prometheus's text format</li>
<li><a href="/api/alerts"><code>/api/alerts</code></a>: newest first; <code>?limit=</code>, <code>?severity=</code>, <code>?since=</code>, <code>?format=array</code></li>
<li><code>/api/alerts/stream</code>: each alert as it comes (server-sent events); <code>?severity=</code>, <code>?category=</code>, <code>?agent=</code></li>
<li><a href="/api/security"><code>/api/security</code></a>: counts by severity, category and source</li></ul></body></html>`;

/** A form's fields (application/x-www-form-urlencoded), at most maxBytes. */
async function readFormBody(req: IncomingMessage, maxBytes: number): Promise<URLSearchParams> {
  let text = "";
  for await (const c of req as AsyncIterable<Buffer>) {
    text += c.toString("utf8");
    if (text.length > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
  }
  return new URLSearchParams(text);
}

/** A request's JSON body, at most maxBytes; a malformed or oversized body is a 400 with the reason. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
    chunks.push(c);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch (e) {
    throw new HttpError(400, `body is not JSON: ${(e as Error).message}`);
  }
}
