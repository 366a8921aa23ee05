import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiServer, loadOrCreateToken } from "../../src/api/index.js";
import type { Alert, Severity } from "../../src/events/index.js";

const servers: ApiServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function alert(ts: number, severity: Severity): Alert {
  return { event_id: ts.toString(16).padStart(16, "0"), ts, severity, category: "RECON", rule: "r", engine: "behavior", summary: "s", action: "alert", node_id: "n", policy_version: "v", event: { id: "0", ts, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel" } };
}

/** The API as a sink: each alert a fresh entry of its own. */
function record(s: ApiServer, a: Alert): void {
  s.accept({ alert: a, entry: { key: a.event_id, alert: a, count: 1, first_ts: a.ts, last_ts: a.ts, last_event_id: a.event_id }, fresh: true, push: [] });
}

async function start(bind = "127.0.0.1") {
  const token = loadOrCreateToken(join(mkdtempSync(join(tmpdir(), "clawav-api-")), "api-token"));
  const s = new ApiServer({ bind, port: 0, token, state: { status: () => ({ node_id: "n", mode: "monitor" }) }, ringSize: 3 });
  servers.push(s);
  const addr = await s.listen();
  return { s, token, base: `http://127.0.0.1:${addr.port}` };
}

/** fetch with the server's bearer token. */
const authed = (token: string) => (url: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) } });

describe("JSON API", () => {
  it("creates a 0600 token file once and reuses it", () => {
    const f = join(mkdtempSync(join(tmpdir(), "clawav-tok-")), "api-token");
    const a = loadOrCreateToken(f);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(loadOrCreateToken(f)).toBe(a);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it("serves alerts newest first with limit, severity and since; the ring keeps the newest and counts evictions", async () => {
    const { s, token, base } = await start();
    const get = authed(token);
    for (const [ts, sev] of [[1, "info"], [2, "critical"], [3, "warning"], [4, "critical"]] as const) record(s, alert(ts, sev));
    const all = (await (await get(`${base}/api/alerts`)).json()) as { alerts: Alert[] };
    expect(all.alerts.map((a) => a.ts)).toEqual([4, 3, 2]);
    const crit = (await (await get(`${base}/api/alerts?severity=critical`)).json()) as { alerts: Alert[] };
    expect(crit.alerts.map((a) => a.ts)).toEqual([4, 2]);
    const since = (await (await get(`${base}/api/alerts?since=3&limit=1`)).json()) as { alerts: Alert[]; total: number };
    expect([since.alerts.map((a) => a.ts), since.total]).toEqual([[4], 2]);
    const st = (await (await get(`${base}/api/status`)).json()) as { api: { alerts_evicted: number } };
    expect(st.api.alerts_evicted).toBe(1);
    const sec = (await (await get(`${base}/api/security`)).json()) as { by_severity: Record<string, number>; by_category: Record<string, number> };
    expect(sec.by_severity).toEqual({ info: 1, warning: 1, critical: 2 });
    expect(sec.by_category.RECON).toBe(4);
    expect(sec.by_category.DATA_EXFIL).toBe(0);
  });

  it("answers bad requests with a status and a message naming the parameter", async () => {
    const { token, base } = await start();
    const get = authed(token);
    const bad = await get(`${base}/api/alerts?severity=loud`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^severity:/);
    expect((await get(`${base}/api/alerts?since=yesterday`)).status).toBe(400);
    expect((await get(`${base}/api/nothing`)).status).toBe(404);
    const m = await get(`${base}/api/alerts`, { method: "DELETE" });
    expect(m.status).toBe(405);
    const page = await fetch(`${base}/`);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("/api/alerts");
  });

  it("wants the token for state-changing endpoints even on loopback", async () => {
    const { s, token, base } = await start();
    s.addRoute({ method: "POST", path: "/api/test/", requireToken: false, handle: (_r, _u, p) => ({ status: 200, body: { did: p } }) });
    expect((await fetch(`${base}/api/test/x`, { method: "POST" })).status).toBe(401);
    // A wrong token is told apart from none: 403, not 401.
    const wrong = await fetch(`${base}/api/test/x`, { method: "POST", headers: { Authorization: "Bearer wrong" } });
    expect([wrong.status, ((await wrong.json()) as { error: string }).error]).toEqual([403, "the bearer token does not match"]);
    const ok = await fetch(`${base}/api/test/x`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    expect(await ok.json()).toEqual({ did: "x" });
    // The scheme is case-insensitive.
    const lower = await fetch(`${base}/api/test/y`, { method: "POST", headers: { Authorization: `bearer ${token}` } });
    expect(await lower.json()).toEqual({ did: "y" });
  });

  it("answers HEAD like GET without a body, and lists HEAD in Allow", async () => {
    const { base } = await start();
    const h = await fetch(`${base}/api/health`, { method: "HEAD" });
    expect(h.status).toBe(200);
    expect(h.headers.get("content-type")).toBe("application/json");
    expect(await h.text()).toBe("");
    const m = await fetch(`${base}/api/alerts`, { method: "PUT" });
    expect([m.status, m.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
  });

  it("wants the token for reads on loopback too (the agent is a local user); only the page and health are open", async () => {
    const { token, base } = await start();
    for (const path of ["/api/status", "/api/alerts", "/api/security"]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(401);
      expect((await fetch(`${base}${path}`, { headers: { Authorization: "Bearer nope" } })).status, path).toBe(403);
      expect((await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } })).status, path).toBe(200);
    }
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
    expect((await fetch(`${base}/`)).status).toBe(200);
  });

  it("wants the token for every endpoint when bound beyond loopback", async () => {
    const { token, base } = await start("0.0.0.0");
    expect((await fetch(`${base}/api/status`)).status).toBe(401);
    expect((await fetch(`${base}/api/status`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});

/** Reads server-sent events from a streaming response until `n` alert events came. */
async function readEvents(res: Response, n: number): Promise<{ id: string; data: Alert & { count: number; repeat: boolean } }[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const out: { id: string; data: Alert & { count: number; repeat: boolean } }[] = [];
  let text = "";
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    let at: number;
    while ((at = text.indexOf("\n\n")) >= 0) {
      const block = text.slice(0, at);
      text = text.slice(at + 2);
      const fields = Object.fromEntries(block.split("\n").filter((l) => !l.startsWith(":")).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]));
      if (fields.event === "alert") out.push({ id: fields.id!, data: JSON.parse(fields.data!) as Alert & { count: number; repeat: boolean } });
    }
  }
  await reader.cancel();
  return out;
}

describe("the live alert stream and seed 000's array shape", () => {
  it("?format=array gives the alerts as a plain array, newest first", async () => {
    const { s, token, base } = await start();
    for (const ts of [1, 2]) record(s, alert(ts, "warning"));
    expect(((await (await authed(token)(`${base}/api/alerts?format=array`)).json()) as Alert[]).map((a) => a.ts)).toEqual([2, 1]);
  });

  it("streams each alert as it is recorded, filtered by severity, category and agent; repeats say so", async () => {
    const { s, token, base } = await start();
    expect((await fetch(`${base}/api/alerts/stream`)).status).toBe(401);
    expect((await authed(token)(`${base}/api/alerts/stream?category=NOPE`)).status).toBe(400);
    const res = await authed(token)(`${base}/api/alerts/stream?severity=warning&category=recon,PRIV_ESC&agent=bot`);
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/event-stream; charset=utf-8"]);
    const got = readEvents(res, 2);
    const mine = (a: Alert): Alert => ({ ...a, event: { ...a.event, process: { pid: 1, uid: 1000, euid: 1000, auid: null, argv: [], agent: "bot" } } });
    record(s, mine(alert(10, "info")));
    record(s, alert(11, "critical"));
    record(s, { ...mine(alert(12, "critical")), category: "DATA_EXFIL" });
    const a = mine(alert(13, "warning"));
    record(s, a);
    s.accept({ alert: a, entry: { key: a.event_id, alert: a, count: 2, first_ts: 13, last_ts: 14, last_event_id: "00000000000000ff" }, fresh: false, push: [] });
    const ev = await got;
    expect(ev.map((e) => [e.id, e.data.ts, e.data.count, e.data.repeat])).toEqual([[a.event_id, 13, 1, false], [a.event_id, 13, 2, true]]);
    await new Promise((r) => setTimeout(r, 50));
    const st = (await (await authed(token)(`${base}/api/status`)).json()) as { api: { streams: { opened: number; open: number; sent: number } } };
    expect(st.api.streams).toMatchObject({ opened: 1, open: 0, sent: 2 });
  });

  it("refuses a stream past the limit, and says so in the counts", async () => {
    const { token, base } = await start();
    const open = await Promise.all(Array.from({ length: 32 }, () => authed(token)(`${base}/api/alerts/stream`)));
    expect(open.every((r) => r.status === 200)).toBe(true);
    const more = await authed(token)(`${base}/api/alerts/stream`);
    expect([more.status, more.headers.get("retry-after")]).toEqual([503, "10"]);
    for (const r of open) await r.body!.cancel();
  });
});
