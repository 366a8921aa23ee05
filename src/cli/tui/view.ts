// The terminal dashboard's screen as a pure function of its state: what the daemon said (alerts,
// status) and what the person did (tab, selection, filter, detail, pause). No I/O here, so the
// screen for any state can be checked line by line.
import type { Alert, SourceStatus } from "../../events/index.js";

export const TABS = ["Alerts", "Network", "Sources", "Files", "System", "Agents"] as const;

export type ListedAlert = Alert & { count?: number; last_ts?: number };

/** The part of /api/status the dashboard shows; every field may be missing from an older daemon. */
export interface StatusView {
  version?: string;
  node_id?: string;
  mode?: string;
  profile?: string | null;
  uptime_s?: number;
  watched?: string;
  sources?: SourceStatus[];
  queue?: { length: number; capacity: number; dropped: number };
  pipeline?: { events: number; alerts: number };
  chain?: { entries: number; head: string; checkpoint?: { seq: number; head: string; ts: number } };
  policies?: number;
  enforce?: { mode: string; kills_ok: number; kills_failed: number; would_kill: number; quarantined: { agent: string; method: string; pids: number; since: number; reason: string }[]; trust: Record<string, number> };
  source_details?: Record<string, unknown>;
}

export interface TuiState {
  tab: number;
  alerts: ListedAlert[];
  status?: StatusView;
  selected: number;
  filter: string;
  /** Typing a filter after `/`. */
  editing: boolean;
  detail?: ListedAlert;
  paused: boolean;
  error?: string;
  width: number;
  height: number;
}

const RESET = "\x1b[0m";
const BOLD = "\x1b[1m";
const DIM = "\x1b[2m";
const INVERSE = "\x1b[7m";
const SEV_COLOR: Record<string, string> = { critical: "\x1b[31m", warning: "\x1b[33m", info: "\x1b[2m" };

/** Text cut to a width in characters (control characters shown as ?, so a summary cannot move the cursor). */
export function fit(text: string, width: number): string {
   
  const clean = text.replace(/[\x00-\x1f\x7f]/g, "?");
  if (width <= 0) return "";
  return clean.length <= width ? clean.padEnd(width) : `${clean.slice(0, Math.max(0, width - 1))}…`;
}

function time(ts: number): string {
  return new Date(ts).toISOString().slice(11, 19);
}

/** The alerts a tab lists, after the filter (a case-insensitive substring of rule, summary, severity, category, agent). */
export function visibleAlerts(s: TuiState): ListedAlert[] {
  const f = s.filter.toLowerCase();
  const tab = TABS[s.tab];
  return s.alerts.filter((a) => {
    if (tab === "Network" && !(a.event.kind === "net" || a.event.kind === "dns" || a.category === "DATA_EXFIL" || a.engine === "netfilter")) return false;
    if (tab === "Files" && !(a.event.kind === "file" || a.engine === "samhain" || a.event.file !== undefined)) return false;
    if (f === "") return true;
    return [a.rule, a.summary, a.severity, a.category, a.event.process?.agent ?? ""].some((x) => x.toLowerCase().includes(f));
  });
}

function alertRows(list: ListedAlert[], s: TuiState, rows: number): string[] {
  if (list.length === 0) return [`${DIM}${fit(s.filter ? `no alert matches "${s.filter}"` : "no alerts yet", s.width)}${RESET}`];
  const sel = Math.min(s.selected, list.length - 1);
  const start = Math.max(0, Math.min(sel - Math.floor(rows / 2), list.length - rows));
  return list.slice(start, start + rows).map((a, i) => {
    const sev = a.severity.padEnd(8);
    const n = a.count !== undefined && a.count > 1 ? ` ×${a.count}` : "";
    const body = fit(`${time(a.ts)} ${sev} ${fit(a.rule, 30)} ${a.summary}${n}`, s.width);
    const colored = body.replace(sev, `${SEV_COLOR[a.severity] ?? ""}${sev}${RESET}`);
    return start + i === sel ? `${INVERSE}${body}${RESET}` : colored;
  });
}

function sourceRows(s: TuiState): string[] {
  const src = s.status?.sources ?? [];
  if (src.length === 0) return [fit("no sources reported", s.width)];
  const head = `${BOLD}${fit(`${"source".padEnd(12)} ${"state".padEnd(9)} ${"events".padStart(10)} ${"errors".padStart(8)} ${"drops".padStart(8)}  detail`, s.width)}${RESET}`;
  return [head, ...src.map((x) => fit(`${x.name.padEnd(12)} ${x.state.padEnd(9)} ${String(x.events).padStart(10)} ${String(x.parse_errors).padStart(8)} ${String(x.drops + (x.kernel_lost ?? 0)).padStart(8)}  ${x.detail ?? ""}`, s.width))];
}

function systemRows(s: TuiState): string[] {
  const st = s.status;
  if (!st) return [fit("waiting for the daemon's status", s.width)];
  const kv: [string, string][] = [
    ["version", st.version ?? "?"],
    ["node", st.node_id ?? "?"],
    ["mode", st.mode ?? "?"],
    ["profile", st.profile ?? "none"],
    ["uptime", st.uptime_s !== undefined ? `${st.uptime_s} s` : "?"],
    ["watched", st.watched ?? "?"],
    ["queue", st.queue ? `${st.queue.length}/${st.queue.capacity}, dropped ${st.queue.dropped}` : "?"],
    ["events", String(st.pipeline?.events ?? "?")],
    ["alerts", String(st.pipeline?.alerts ?? "?")],
    ["policies", String(st.policies ?? "?")],
    ["chain", st.chain ? `${st.chain.entries} entries, head ${st.chain.head.slice(0, 16)}${st.chain.checkpoint ? `, checkpoint #${st.chain.checkpoint.seq}` : ""}` : "off"],
  ];
  const nf = st.source_details?.netfilter as Record<string, unknown> | undefined;
  if (nf) kv.push(["netfilter", `logged ${String(nf.logged)}, dropped ${String(nf.dropped)}, table restored ${String(nf.table_restored)}`]);
  return kv.map(([k, v]) => fit(`${k.padEnd(10)} ${v}`, s.width));
}

function agentRows(s: TuiState): string[] {
  const e = s.status?.enforce;
  if (!e) return [fit("waiting for the daemon's status", s.width)];
  const rows = [fit(`enforcement: ${e.mode}; kills ${e.kills_ok} ok, ${e.kills_failed} failed, ${e.would_kill} in monitor mode`, s.width), ""];
  const trust = Object.entries(e.trust);
  rows.push(`${BOLD}${fit(`${"agent".padEnd(24)} ${"trust".padStart(6)}  state`, s.width)}${RESET}`);
  const names = new Set([...trust.map(([n]) => n), ...e.quarantined.map((q) => q.agent)]);
  if (names.size === 0) rows.push(fit("no agent has been judged yet", s.width));
  for (const n of [...names].sort()) {
    const q = e.quarantined.find((x) => x.agent === n);
    const t = e.trust[n];
    rows.push(fit(`${n.padEnd(24)} ${(t === undefined ? "-" : t.toFixed(0)).padStart(6)}  ${q ? `QUARANTINED (${q.method}) since ${time(q.since)}: ${q.reason}` : "running"}`, s.width));
  }
  return rows;
}

function detailRows(a: ListedAlert, s: TuiState): string[] {
  const p = a.event.process;
  const lines = [
    `${BOLD}${a.rule}${RESET}  ${a.severity} ${a.category} (${a.engine})`,
    a.summary,
    `event ${a.event_id} at ${new Date(a.ts).toISOString()}${a.count !== undefined && a.count > 1 ? `, ${a.count} times` : ""}`,
    `ATT&CK: ${(a.mitre ?? []).join(", ") || "-"}`,
    `action: ${a.action}${a.mitigation ? ` (${a.mitigation.ok ? "done" : "failed"}: ${a.mitigation.detail ?? ""})` : ""}`,
  ];
  if (p) {
    lines.push("", `process ${p.pid ?? "?"} (${p.exe ?? "?"}) uid ${p.uid ?? "?"}${p.user ? ` ${p.user}` : ""}${p.agent ? `, agent ${p.agent}` : ""}${p.container ? `, container ${p.container.name ?? p.container.id.slice(0, 12)}` : ""}`);
    lines.push(`argv: ${JSON.stringify(p.argv)}`);
    for (const l of p.lineage ?? []) lines.push(`  ← ${l.pid} ${l.exe}`);
  }
  if (a.event.file) lines.push("", `file: ${a.event.file.path}`);
  if (a.event.net) lines.push("", `net: ${a.event.net.address ?? a.event.net.path ?? ""}${a.event.net.port !== undefined ? `:${a.event.net.port}` : ""}${a.event.net.resolved_host ? ` (${a.event.net.resolved_host})` : ""}`);
  return lines.map((l) => (l.startsWith(BOLD) ? l : fit(l, s.width)));
}

/** The whole screen, exactly `height` lines. */
export function render(s: TuiState): string[] {
  const tabs = TABS.map((t, i) => (i === s.tab ? `${INVERSE} ${i + 1} ${t} ${RESET}` : ` ${i + 1} ${t} `)).join("");
  const right = `${s.status?.node_id ?? ""} ${s.status?.mode ?? ""}${s.paused ? "  [PAUSED]" : ""}`;
  const top = `${BOLD}clawav${RESET} ${tabs}  ${DIM}${right}${RESET}`;
  const foot = s.editing ? `filter: ${s.filter}█` : s.error ? `\x1b[31m${fit(s.error, s.width)}${RESET}` : `${DIM}${fit(`←/→ 1-6 tabs  ↑/↓ select  / filter${s.filter ? ` (${s.filter})` : ""}  Enter detail  Esc back  p pause  q quit`, s.width)}${RESET}`;
  const rows = Math.max(1, s.height - 3);
  let body: string[];
  if (s.detail) body = detailRows(s.detail, s);
  else {
    const tab = TABS[s.tab];
    if (tab === "Sources") body = sourceRows(s);
    else if (tab === "System") body = systemRows(s);
    else if (tab === "Agents") body = agentRows(s);
    else body = alertRows(visibleAlerts(s), s, rows);
  }
  const lines = [top, "", ...body.slice(0, rows)];
  while (lines.length < s.height - 1) lines.push("");
  lines.push(foot);
  return lines;
}

export type Key = "left" | "right" | "up" | "down" | "enter" | "esc" | "backspace" | { char: string };

/** The state after a key; `quit` when the person is done. */
export function onKey(s: TuiState, k: Key): TuiState | "quit" {
  if (s.editing) {
    if (k === "enter") return { ...s, editing: false, selected: 0 };
    if (k === "esc") return { ...s, editing: false, filter: "", selected: 0 };
    if (k === "backspace") return { ...s, filter: s.filter.slice(0, -1) };
    if (typeof k === "object" && k.char >= " ") return { ...s, filter: (s.filter + k.char).slice(0, 80) };
    return s;
  }
  if (k === "esc") return s.detail ? { ...s, detail: undefined } : s.filter ? { ...s, filter: "", selected: 0 } : s;
  if (typeof k === "object") {
    if (k.char === "q") return "quit";
    if (k.char === "p") return { ...s, paused: !s.paused };
    if (k.char === "/") return { ...s, editing: true, detail: undefined };
    const n = Number(k.char);
    if (Number.isInteger(n) && n >= 1 && n <= TABS.length) return { ...s, tab: n - 1, selected: 0, detail: undefined };
    return s;
  }
  if (k === "left") return { ...s, tab: (s.tab + TABS.length - 1) % TABS.length, selected: 0, detail: undefined };
  if (k === "right") return { ...s, tab: (s.tab + 1) % TABS.length, selected: 0, detail: undefined };
  const list = visibleAlerts(s);
  if (k === "up") return { ...s, selected: Math.max(0, s.selected - 1) };
  if (k === "down") return { ...s, selected: Math.min(Math.max(0, list.length - 1), s.selected + 1) };
  if (k === "enter") {
    const a = list[Math.min(s.selected, list.length - 1)];
    return a && (TABS[s.tab] === "Alerts" || TABS[s.tab] === "Network" || TABS[s.tab] === "Files") ? { ...s, detail: a } : s;
  }
  return s;
}

/** Keys from raw terminal input (one read may hold several). */
export function parseKeys(input: string): Key[] {
  const out: Key[] = [];
  for (let i = 0; i < input.length; ) {
    const rest = input.slice(i);
    const seq: [string, Key][] = [["\x1b[A", "up"], ["\x1b[B", "down"], ["\x1b[C", "right"], ["\x1b[D", "left"], ["\x1bOA", "up"], ["\x1bOB", "down"], ["\x1bOC", "right"], ["\x1bOD", "left"]];
    const hit = seq.find(([p]) => rest.startsWith(p));
    if (hit) {
      out.push(hit[1]);
      i += hit[0].length;
      continue;
    }
    const c = input[i]!;
    i++;
    if (c === "\r" || c === "\n") out.push("enter");
    else if (c === "\x1b") out.push("esc");
    else if (c === "\x7f" || c === "\b") out.push("backspace");
    else if (c === "\x03") out.push({ char: "q" });
    else out.push({ char: c });
  }
  return out;
}
