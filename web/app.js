// clawav's web dashboard. Plain DOM, no framework and nothing from elsewhere: the page's CSP
// allows only this file. Text from alerts is set with textContent, never parsed as HTML.
const TABS = ["Alerts", "Agents", "Approvals", "Sources", "Posture", "Chain", "Rules"];
const SEVERITIES = ["info", "warning", "critical"];
const state = { tab: "Alerts", alerts: [], status: null, requests: [], rules: null, scan: undefined, scanning: false, ruleFilter: "", csrf: "", filter: { severity: "", category: "", agent: "" }, detail: null, live: false };

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return e;
}

async function api(path, init = {}) {
  const headers = init.method === "POST" ? { "Content-Type": "application/json", "X-CSRF-Token": state.csrf } : {};
  const res = await fetch(path, { credentials: "same-origin", ...init, headers });
  if (res.status === 401) location.assign("/ui");
  const body = res.status === 204 ? {} : await res.json();
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

const time = (ts) => new Date(ts).toISOString().slice(11, 19);

function shownAlerts() {
  const f = state.filter;
  return state.alerts.filter((a) => (!f.severity || SEVERITIES.indexOf(a.severity) >= SEVERITIES.indexOf(f.severity)) && (!f.category || a.category === f.category) && (!f.agent || (a.event.process && a.event.process.agent === f.agent)));
}

function alertsView() {
  const cats = [...new Set(state.alerts.map((a) => a.category))].sort();
  const agents = [...new Set(state.alerts.map((a) => a.event.process && a.event.process.agent).filter(Boolean))].sort();
  const sel = (name, values, label) => el("label", {}, `${label} `, el("select", { id: `f-${name}`, onchange: (e) => { state.filter[name] = e.target.value; render(); } }, el("option", { value: "" }, "any"), ...values.map((v) => { const o = el("option", { value: v }, v); if (state.filter[name] === v) o.selected = true; return o; })));
  const rows = shownAlerts().slice(0, 300).map((a) =>
    el("tr", { class: `sev-${a.severity}`, "data-event": a.event_id, onclick: () => { state.detail = a; render(); } },
      el("td", {}, time(a.ts)), el("td", { class: "sev" }, a.severity), el("td", {}, a.rule), el("td", {}, a.category), el("td", {}, (a.event.process && a.event.process.agent) || ""), el("td", { class: "summary" }, a.summary + (a.count > 1 ? ` ×${a.count}` : ""))));
  const parts = [el("div", { class: "filters" }, sel("severity", SEVERITIES, "severity at least"), sel("category", cats, "category"), sel("agent", agents, "agent"), el("span", { id: "live", class: state.live ? "live on" : "live" }, state.live ? "live" : "connecting…")),
    el("table", { id: "alerts" }, el("thead", {}, el("tr", {}, ...["time", "severity", "rule", "category", "agent", "summary"].map((h) => el("th", {}, h)))), el("tbody", {}, rows))];
  if (state.detail) parts.push(detailView(state.detail));
  return parts;
}

function detailView(a) {
  const p = a.event.process || {};
  return el("section", { id: "detail" }, el("h2", {}, a.rule), el("p", {}, a.summary),
    el("dl", {}, ...[["severity", a.severity], ["category", a.category], ["engine", a.engine], ["ATT&CK", (a.mitre || []).join(", ")], ["event", a.event_id], ["process", `${p.pid ?? "?"} ${p.exe ?? ""} (uid ${p.uid ?? "?"}${p.user ? ` ${p.user}` : ""})`], ["argv", JSON.stringify(p.argv || [])], ["agent", p.agent || ""], ["lineage", (p.lineage || []).map((l) => `${l.pid} ${l.exe}`).join(" ← ")]].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
    el("button", { onclick: () => { state.detail = null; render(); } }, "Close"));
}

function agentsView() {
  const e = state.status && state.status.enforce;
  if (!e) return [el("p", {}, "waiting for the daemon…")];
  const names = [...new Set([...Object.keys(e.trust), ...e.quarantined.map((q) => q.agent)])].sort();
  return [el("p", {}, `enforcement: ${e.mode}; kills ${e.kills_ok} ok, ${e.kills_failed} failed`),
    el("table", { id: "agents" }, el("thead", {}, el("tr", {}, el("th", {}, "agent"), el("th", {}, "trust"), el("th", {}, "state"), el("th", {}, ""))),
      el("tbody", {}, names.map((n) => {
        const q = e.quarantined.find((x) => x.agent === n);
        return el("tr", { "data-agent": n }, el("td", {}, n), el("td", {}, e.trust[n] === undefined ? "-" : e.trust[n].toFixed(0)), el("td", {}, q ? `quarantined (${q.method}) since ${time(q.since)}: ${q.reason}` : "running"),
          el("td", {}, q ? el("button", { class: "release", onclick: async () => { try { await api(`/api/agents/${encodeURIComponent(n)}/release`, { method: "POST", body: "{}" }); await refresh(); } catch (err) { alert(err.message); } } }, "Release") : ""));
      })))];
}

function approvalsView() {
  if (state.requests.length === 0) return [el("p", { id: "no-requests" }, "No clawsudo request waits.")];
  return [el("table", { id: "requests" }, el("thead", {}, el("tr", {}, ...["id", "user", "command", "why", "state", ""].map((h) => el("th", {}, h)))),
    el("tbody", {}, state.requests.map((r) => el("tr", { "data-request": r.id }, el("td", {}, r.id), el("td", {}, r.user), el("td", {}, (r.argv || []).join(" ")), el("td", {}, r.reason || ""), el("td", {}, r.state),
      el("td", {}, r.state === "pending" ? [el("button", { class: "approve", onclick: () => answer(r.id, "approve") }, "Approve"), " ", el("button", { class: "reject", onclick: () => answer(r.id, "reject") }, "Deny")] : "")))))];
}

async function answer(id, verb) {
  try {
    await api(`/api/clawsudo/requests/${id}/${verb}`, { method: "POST", body: JSON.stringify({ by: "web" }) });
    await refresh();
  } catch (err) {
    alert(err.message);
  }
}

function sourcesView() {
  const s = state.status;
  if (!s) return [el("p", {}, "waiting for the daemon…")];
  return [el("table", { id: "sources" }, el("thead", {}, el("tr", {}, ...["source", "state", "events", "parse errors", "drops", "detail"].map((h) => el("th", {}, h)))),
    el("tbody", {}, s.sources.map((x) => el("tr", { class: `state-${x.state}` }, el("td", {}, x.name), el("td", {}, x.state), el("td", {}, x.events), el("td", {}, x.parse_errors), el("td", {}, x.drops + (x.kernel_lost || 0)), el("td", {}, x.detail || ""))))),
    el("p", {}, `queue ${s.queue.length}/${s.queue.capacity}, dropped ${s.queue.dropped}; ${s.pipeline.events} events, ${s.pipeline.alerts} alerts`),
    ...proxyView(s.proxy)];
}

/** The LLM proxy's counters per virtual key (never a key: the keys file keeps only digests). */
function proxyView(p) {
  if (!p) return [];
  const keys = Object.entries(p.by_key);
  return [el("h2", {}, "LLM proxy"),
    el("p", { id: "proxy-summary" }, `port ${p.port ?? "-"}${p.socket ? `, socket ${p.socket}` : ""}; ${p.requests} requests, ${p.refused} refused, ${p.blocked} blocked, ${p.redacted} redacted, ${p.upstream_errors} upstream errors, ${p.unknown_keys} unknown keys; ${p.active} open`),
    el("table", { id: "proxy" }, el("thead", {}, el("tr", {}, ...["key", "upstream", "uid", "requests", "last minute", "tokens today", "blocked", "redacted", "warned", "refused"].map((h) => el("th", {}, h)))),
      el("tbody", {}, keys.map(([id, k]) => el("tr", { class: k.revoked ? "state-stopped" : "" }, el("td", {}, k.revoked ? `${id} (revoked)` : id), el("td", {}, k.upstream), el("td", {}, k.uid ?? "any"), el("td", {}, k.requests), el("td", {}, k.requests_last_minute), el("td", {}, k.tokens_today), el("td", {}, k.blocked), el("td", {}, k.redacted), el("td", {}, k.warned), el("td", {}, k.refused)))))];
}

function chainView() {
  const c = state.status && state.status.chain;
  if (!c) return [el("p", {}, "the audit chain is off")];
  const v = state.verify;
  return [el("dl", { id: "chain" }, el("dt", {}, "entries"), el("dd", {}, c.entries), el("dt", {}, "head"), el("dd", {}, c.head), el("dt", {}, "last checkpoint"), el("dd", {}, c.checkpoint ? `#${c.checkpoint.seq} at ${new Date(c.checkpoint.ts).toISOString()}` : "none yet")),
    el("button", { id: "verify", onclick: verify }, "Verify the chain now"),
    el("p", { id: "verify-result", class: v ? (v.ok ? "ok" : "error") : "" }, v ? (v.ok ? `OK: ${v.entries} entries, every MAC and link, ${v.checkpoints} checkpoints; head ${v.head}` : v.line !== undefined ? `FAILED at line ${v.line}: ${v.reason} (${v.entries} entries verified before it)` : `could not verify: ${v.error}`) : "")];
}

function rulesView() {
  if (!state.rules) {
    api("/api/rules").then((r) => { state.rules = r.rules; render(); }, (err) => { state.rules = []; alert(err.message); });
    return [el("p", {}, "loading the rules…")];
  }
  const f = state.ruleFilter.toLowerCase();
  const shown = state.rules.filter((r) => !f || [r.name, r.engine, r.category, r.severity, r.description, (r.mitre || []).join(" ")].some((x) => String(x).toLowerCase().includes(f)));
  return [el("div", { class: "filters" }, el("label", {}, "filter ", el("input", { id: "rule-filter", value: state.ruleFilter, oninput: (e) => { state.ruleFilter = e.target.value; render(); document.getElementById("rule-filter").focus(); } })), el("span", {}, `${shown.length} of ${state.rules.length} rules`)),
    el("table", { id: "rules" }, el("thead", {}, el("tr", {}, ...["rule", "engine", "severity", "category", "ATT&CK", "action", "from", "what"].map((h) => el("th", {}, h)))),
      el("tbody", {}, shown.slice(0, 500).map((r) => el("tr", { class: r.enabled ? "" : "disabled" }, el("td", {}, r.name), el("td", {}, r.engine), el("td", {}, r.severity), el("td", {}, r.category), el("td", {}, (r.mitre || []).join(", ")), el("td", {}, r.action || "alert"), el("td", {}, r.origin || "built in"), el("td", {}, r.description)))))];
}

const ORDER = { fail: 0, unknown: 1, pass: 2 };
const RANK = { critical: 0, warning: 1, info: 2 };

function postureView() {
  if (state.scan === undefined) {
    state.scan = null;
    api("/api/scan").then((r) => { state.scan = r; render(); }, (err) => { state.scan = { error: err.message }; render(); });
  }
  const run = el("button", { id: "scan-now", disabled: state.scanning ? "" : undefined, onclick: scanNow }, state.scanning ? "Scanning…" : "Scan now");
  const r = state.scan;
  if (!r) return [run, el("p", {}, "loading the last scan…")];
  if (r.error) return [run, el("p", { class: "error" }, r.error)];
  const rows = [...r.results].sort((a, b) => ORDER[a.status] - ORDER[b.status] || RANK[a.severity] - RANK[b.severity] || a.id.localeCompare(b.id));
  return [el("div", { class: "filters" }, run, el("span", { id: "scan-summary" }, `${r.counts.fail} fail, ${r.counts.pass} pass, ${r.counts.unknown} unknown · ${new Date(r.ts).toISOString()} · ${r.duration_ms} ms`)),
    el("table", { id: "posture" }, el("thead", {}, el("tr", {}, ...["status", "severity", "check", "evidence", "fix"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.map((c) => el("tr", { class: `scan-${c.status}`, "data-check": c.id }, el("td", {}, c.status), el("td", { class: `sev-${c.severity}` }, c.severity), el("td", { title: c.title }, c.id), el("td", {}, c.evidence), el("td", {}, c.status === "fail" ? c.remedy : "")))))];
}

async function scanNow() {
  state.scanning = true;
  render();
  try {
    state.scan = await api("/api/scan", { method: "POST", body: "{}" });
  } catch (err) {
    state.scan = { error: err.message };
  }
  state.scanning = false;
  render();
}

async function verify() {
  try {
    state.verify = await api("/api/chain/verify");
  } catch (err) {
    state.verify = { ok: false, error: err.message };
  }
  render();
}

function renderHeader() {
  const tabs = document.getElementById("tabs");
  tabs.replaceChildren(...TABS.map((t) => el("button", { class: t === state.tab ? "tab on" : "tab", "data-tab": t, onclick: () => { state.tab = t; state.detail = null; render(); } }, t === "Approvals" && state.requests.some((r) => r.state === "pending") ? `${t} (${state.requests.filter((r) => r.state === "pending").length})` : t)));
  const s = state.status;
  document.getElementById("node").textContent = s ? `${s.node_id} · ${s.mode}${s.profile ? ` · ${s.profile}` : ""}` : "";
}

function render() {
  renderHeader();
  const views = { Alerts: alertsView, Agents: agentsView, Approvals: approvalsView, Sources: sourcesView, Posture: postureView, Chain: chainView, Rules: rulesView };
  document.getElementById("view").replaceChildren(...views[state.tab]());
}

async function refresh() {
  try {
    const [status, req] = await Promise.all([api("/api/status"), api("/api/clawsudo/requests").catch(() => ({ requests: [] }))]);
    state.status = status;
    state.requests = req.requests || [];
  } catch {
    // shown as stale; the next poll tries again
  }
  // The views drawn from the status follow it; the others (a list being read, a filter being typed) are left alone.
  if (["Agents", "Approvals", "Sources", "Chain"].includes(state.tab)) render();
  else renderHeader();
}

async function main() {
  state.csrf = (await api("/ui/session")).csrf;
  document.getElementById("logout").addEventListener("submit", async (e) => {
    e.preventDefault();
    await api("/ui/logout", { method: "POST", body: "{}" });
    location.assign("/ui");
  });
  state.alerts = (await api("/api/alerts?limit=500")).alerts;
  render();
  const es = new EventSource("/api/alerts/stream");
  es.addEventListener("open", () => { state.live = true; render(); });
  es.addEventListener("error", () => { state.live = false; render(); });
  es.addEventListener("alert", (m) => {
    const a = JSON.parse(m.data);
    const i = state.alerts.findIndex((x) => x.event_id === a.event_id && x.rule === a.rule);
    if (a.repeat && i >= 0) state.alerts[i] = a;
    else state.alerts.unshift(a);
    if (state.alerts.length > 1000) state.alerts.length = 1000;
    if (state.tab === "Alerts") render();
  });
  await refresh();
  setInterval(refresh, 2000);
}

main();
