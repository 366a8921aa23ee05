// The web dashboard's server side: a login with the admin key, then a session in an httpOnly,
// SameSite=Strict cookie; every POST made with the session carries its CSRF token in a header;
// pages come with a strict Content-Security-Policy (no inline script, nothing from elsewhere);
// the assets were built with the package (dist/web) and are served by content hash, cached for
// good. Three wrong keys from one address lock it out for an hour, as the admin socket does.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { Lockout, loadAdminHash, verifyAdminKey } from "../admin/index.js";

export const COOKIE = "clawav_session";
const SESSION_MS = 8 * 3_600_000;
const MAX_SESSIONS = 64;

export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

interface Session {
  csrf: string;
  expires: number;
}

export interface WebOptions {
  /** The admin key's hash file (the login's key). */
  hashFile: string;
  /** dist/web: the built assets and their manifest. */
  assetsDir: string;
  /** Set the cookie's Secure flag (served beyond loopback behind TLS). */
  secureCookie: boolean;
  onLockout(client: string, until: number): void;
}

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export class WebSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly lockout = new Lockout();
  readonly counts = { logins: 0, login_failures: 0, lockouts: 0, locked_out_refused: 0, csrf_refused: 0, sessions: 0 };
  readonly assets = new Map<string, Asset>();
  /** Asset names as the page links them (content-hashed), by their plain names. */
  readonly links: Record<string, string> = {};

  constructor(private readonly o: WebOptions) {
    const manifest = join(o.assetsDir, "manifest.json");
    if (!existsSync(manifest)) return;
    for (const [name, hashed] of Object.entries(JSON.parse(readFileSync(manifest, "utf8")) as Record<string, string>)) {
      const body = readFileSync(join(o.assetsDir, hashed));
      this.assets.set(hashed, { body, type: name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8", etag: `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"` });
      this.links[name] = hashed;
    }
  }

  /** The session a request's cookie names, if it is live. */
  sessionOf(req: IncomingMessage): Session | undefined {
    const sid = cookieValue(req.headers.cookie, COOKIE);
    if (!sid) return undefined;
    const s = this.sessions.get(sid);
    if (!s) return undefined;
    if (s.expires < Date.now()) {
      this.sessions.delete(sid);
      return undefined;
    }
    return s;
  }

  /** A POST with a session is the dashboard's only when it carries the session's CSRF token. */
  csrfOk(req: IncomingMessage, s: Session): boolean {
    const got = req.headers["x-csrf-token"];
    const ok = typeof got === "string" && got.length === s.csrf.length && timingSafeEqual(Buffer.from(got), Buffer.from(s.csrf));
    if (!ok) this.counts.csrf_refused++;
    return ok;
  }

  /** Checks the key; a new session on success. The client is the remote address. */
  login(client: string, key: string): { ok: true; sid: string; session: Session } | { ok: false; status: number; error: string } {
    const now = Date.now();
    const locked = this.lockout.lockedUntil(client, now);
    if (locked !== undefined) {
      this.counts.locked_out_refused++;
      return { ok: false, status: 429, error: `locked out until ${new Date(locked).toISOString()} after 3 wrong keys` };
    }
    const hash = loadAdminHash(this.o.hashFile);
    if (!hash) return { ok: false, status: 503, error: "no admin key is set (clawav admin keygen)" };
    if (!verifyAdminKey(key.trim(), hash)) {
      this.counts.login_failures++;
      const f = this.lockout.fail(client, now);
      if (f.lockedUntil !== undefined) {
        this.counts.lockouts++;
        this.o.onLockout(client, f.lockedUntil);
      }
      return { ok: false, status: 403, error: "wrong key" };
    }
    this.lockout.succeed(client);
    const sid = randomBytes(32).toString("hex");
    const session = { csrf: randomBytes(32).toString("hex"), expires: now + SESSION_MS };
    this.sessions.set(sid, session);
    // Bounded: the oldest session goes first.
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.counts.logins++;
    this.counts.sessions = this.sessions.size;
    return { ok: true, sid, session };
  }

  logout(req: IncomingMessage): void {
    const sid = cookieValue(req.headers.cookie, COOKIE);
    if (sid) this.sessions.delete(sid);
    this.counts.sessions = this.sessions.size;
  }

  cookie(sid: string, maxAgeS = SESSION_MS / 1000): string {
    return `${COOKIE}=${sid}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeS}${this.o.secureCookie ? "; Secure" : ""}`;
  }

  serveAsset(name: string, req: IncomingMessage, res: ServerResponse): boolean {
    const a = this.assets.get(name);
    if (!a) return false;
    if (req.headers["if-none-match"] === a.etag) {
      res.writeHead(304, { ETag: a.etag, "Cache-Control": "public, max-age=31536000, immutable" });
      res.end();
      return true;
    }
    res.writeHead(200, { "Content-Type": a.type, ETag: a.etag, "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff" });
    res.end(a.body);
    return true;
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page: the login form, or the dashboard's shell (its script fills it). No inline script or style. */
export function page(links: Record<string, string>, loggedIn: boolean, message?: string): string {
  const css = links["app.css"] ? `<link rel="stylesheet" href="/ui/assets/${esc(links["app.css"])}">` : "";
  if (!loggedIn) {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>clawav — sign in</title>${css}</head><body class="login"><main><h1>clawav</h1>
<form method="post" action="/ui/login"><label for="key">Admin key</label><input id="key" name="key" type="password" autocomplete="off" required placeholder="OCAV-…" autofocus>
<button type="submit">Sign in</button>${message ? `<p class="error" role="alert">${esc(message)}</p>` : ""}</form>
<p class="hint">The key was shown once at clawav's first start; <code>clawav admin keygen</code> makes a new one.</p></main></body></html>`;
  }
  const js = links["app.js"] ? `<script type="module" src="/ui/assets/${esc(links["app.js"])}"></script>` : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>clawav</title>${css}${js}</head><body>
<header><h1>clawav</h1><nav id="tabs"></nav><span id="node"></span><form method="post" action="/ui/logout" id="logout"><button type="submit">Sign out</button></form></header>
<main id="view"><p>Loading…</p></main></body></html>`;
}
