import type { Alert } from "../events/index.js";

/** What goes out to a channel: an alert, a heartbeat, or an audit-chain checkpoint. */
export type OutMessage =
  | { kind: "alert"; alert: Alert }
  | { kind: "heartbeat"; ts: number; node_id: string; uptime_s: number; events: number; alerts: number; chain_head?: string; chain_entries?: number; dropped?: number }
  | { kind: "checkpoint"; ts: number; node_id: string; seq: number; head: string };

/** The generic webhook's documented payload (README: "Webhook payload"). */
export function webhookPayload(m: OutMessage): Record<string, unknown> {
  if (m.kind === "alert") {
    const a = m.alert;
    const p = a.event.process;
    return {
      type: "alert",
      event_id: a.event_id,
      ts: new Date(a.ts).toISOString(),
      severity: a.severity,
      category: a.category,
      rule: a.rule,
      summary: a.summary,
      action: a.action,
      process: p ? { pid: p.pid, ppid: p.ppid, uid: p.uid, user: p.user ?? null, exe: p.exe, argv: p.argv, cwd: p.cwd ?? null } : null,
      node_id: a.node_id,
      policy_version: a.policy_version,
      ...(a.suppressed ? { suppressed: a.suppressed } : {}),
      ...(a.mitigation ? { mitigation: a.mitigation } : {}),
    };
  }
  const { kind, ts, ...rest } = m;
  return { type: kind, ts: new Date(ts).toISOString(), ...rest };
}

/** One line a person reads first. */
export function headline(m: OutMessage): string {
  if (m.kind === "alert") return `[${m.alert.severity.toUpperCase()}] ${m.alert.category} ${m.alert.rule} on ${m.alert.node_id}`;
  if (m.kind === "heartbeat") return `clawav on ${m.node_id} is alive: up ${Math.round(m.uptime_s / 3600)} h, ${m.events} events, ${m.alerts} alerts`;
  return `clawav on ${m.node_id}: audit chain checkpoint seq ${m.seq}, head ${m.head.slice(0, 16)}…`;
}

export function commandOf(a: Alert): string {
  const argv = a.event.process?.argv ?? [];
  const s = argv.length > 0 ? argv.join(" ") : (a.event.process?.exe ?? "");
  return s.length > 500 ? `${s.slice(0, 500)}…` : s;
}
