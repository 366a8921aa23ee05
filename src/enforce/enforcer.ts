import type { Alert, Event, Mitigation, Mitigator } from "../events/index.js";
import { maxSeverity } from "../events/index.js";
import { killProcess, type KillGuard, type KillResult, type KillTarget } from "./kill.js";
import { availableMethods, enforceOn, freeze, pidsOfUid, thaw, type FreezeMethod, type PausedContainer, type Quarantined, type QuarantineStore } from "./quarantine.js";
import type { TrustScores } from "./trust.js";

export interface QuarantineDeps {
  trust: TrustScores;
  /** Absent in replay: nothing is frozen, and "would be quarantined" is judged as in monitor mode. */
  store?: QuarantineStore;
  /** Quarantine when trust falls below the threshold (config enforce.auto_quarantine). */
  auto: boolean;
  /** Every quarantine and release goes into the audit chain. */
  record: (type: "quarantine" | "release", data: Record<string, unknown>) => void;
  methods?: FreezeMethod[];
  /** Agents that are containers ([[agents]] container = ...): quarantine pauses the container. */
  containerAgents?: ReadonlySet<string>;
}

export type Mode = "monitor" | "enforce";

export interface EnforcerStatus {
  mode: Mode;
  kills_ok: number;
  kills_failed: number;
  would_kill: number;
  latency_ms: { last?: number; p50?: number; p99?: number };
  quarantined: { agent: string; method: string; pids: number; since: number; reason: string }[];
  would_quarantine: number;
  quarantine_failed: number;
  trust: Record<string, number>;
}

/**
 * Monitor or enforce. A rule whose enforcement is kill or kill_tree is a denial: in monitor mode
 * it is reported as at least a warning and nothing is touched; in enforce mode the process is
 * killed with SIGKILL and the alert is critical. A kill that fails (the process already gone, a
 * refusal) raises a critical "mitigation failed" alert of its own. An agent whose trust falls
 * below the threshold is frozen (enforce) or reported as one that would be (monitor), once per
 * crossing. Trust runs on the events' own time, so a replay judges it as the live daemon did.
 */
export class Enforcer implements Mitigator {
  readonly name = "enforce";
  readonly stats: EnforcerStatus;
  private readonly latencies: number[] = [];
  /** Agents being frozen right now: a second crossing must not start a second freeze. */
  private readonly freezing = new Set<string>();
  /** Until when (ms) an admin paused enforcement: judged as in monitor mode meanwhile. */
  pausedUntil = 0;

  constructor(
    private readonly mode: Mode,
    private readonly guard: KillGuard,
    private readonly kill: (t: KillTarget, g: KillGuard) => KillResult = killProcess,
    private readonly q?: QuarantineDeps,
  ) {
    this.stats = { mode, kills_ok: 0, kills_failed: 0, would_kill: 0, latency_ms: {}, quarantined: [], would_quarantine: 0, quarantine_failed: 0, trust: {} };
    this.refresh();
  }

  assess(alert: Alert): Alert {
    if (alert.action !== "kill" && alert.action !== "kill_tree") return alert;
    const acts = this.live() === "enforce" && alert.event.process !== undefined;
    return { ...alert, severity: acts ? "critical" : maxSeverity(alert.severity, "warning") };
  }

  act(alert: Alert): Mitigation {
    const killed = this.mitigate(alert);
    if (!this.q) return { alert: killed.alert, raised: killed.raised };
    const t = this.judgeTrust(killed.alert);
    return { alert: killed.alert, raised: [...killed.raised, ...t.raised], ...(t.later ? { later: t.later } : {}) };
  }

  observe(e: Event): void {
    if (e.kind !== "exec" || e.process?.pid === undefined) return;
    const q = this.quarantineOf(e.process.agent);
    if (q && !this.guard.protectedPids.has(e.process.pid)) enforceOn(q, e.process.pid);
  }

  /** The quarantine of the agent, if any; new processes of a quarantined agent join it. */
  quarantineOf(agent: string | undefined): Quarantined | undefined {
    return agent === undefined ? undefined : this.q?.store?.get(agent);
  }

  /** Thaws an agent (a person's decision); recorded in the chain. */
  release(agent: string, by: string): Quarantined | undefined {
    const store = this.q?.store;
    const q = store?.get(agent);
    if (!q || !store || !this.q) return undefined;
    thaw(q);
    store.remove(agent);
    this.q.trust.reset(agent);
    this.q.record("release", { agent, by, method: q.method, pids: q.pids, frozen_since: q.since });
    this.refresh();
    return q;
  }

  private live(): Mode {
    return this.pausedUntil > Date.now() ? "monitor" : this.mode;
  }

  private judgeTrust(alert: Alert): { raised: Alert[]; later?: Promise<Alert[]> } {
    const q = this.q!;
    const p = alert.event.process;
    const agent = p?.agent;
    if (!p || agent === undefined || alert.engine === "enforce" || this.quarantineOf(agent) || this.freezing.has(agent)) return { raised: [] };
    const now = alert.event.ts;
    const crossed = q.trust.penalise(agent, alert.severity, now);
    const ruleSays = alert.action === "quarantine" && alert.severity === "critical";
    this.stats.trust = q.trust.all(now);
    if (!(ruleSays || (crossed && q.auto))) return { raised: [] };
    const reason = ruleSays ? `rule ${alert.rule} (critical) asks for quarantine` : `trust fell below the threshold (${q.trust.score(agent, now).toFixed(0)})`;
    if (this.live() === "monitor" || !q.store) {
      this.stats.would_quarantine++;
      return { raised: [{ ...alert, rule: "agent-would-be-quarantined", engine: "enforce", severity: "warning", action: "alert", summary: `monitor mode: agent ${agent} would be quarantined: ${reason}` }] };
    }
    this.freezing.add(agent);
    const c = p.container;
    const pause: PausedContainer | undefined = q.containerAgents?.has(agent) && c && (c.engine === "podman" || c.engine === "docker") ? { engine: c.engine, id: c.id, ...(c.name !== undefined ? { name: c.name } : {}) } : undefined;
    return { raised: [], later: this.quarantine(alert, agent, p.uid ?? -1, reason, q.store, pause).finally(() => this.freezing.delete(agent)) };
  }

  private async quarantine(alert: Alert, agent: string, uid: number, reason: string, store: QuarantineStore, container?: PausedContainer): Promise<Alert[]> {
    const q = this.q!;
    // A container agent is the container, whoever its processes run as: its engine pauses it whole.
    const pids = container ? [] : pidsOfUid(uid, this.guard.protectedPids);
    let done: Quarantined | undefined;
    let lastErr = "";
    for (const m of container ? (["container-pause"] as const) : (q.methods ?? availableMethods())) {
      try {
        done = await freeze(agent, pids, m, reason, undefined, container);
        break;
      } catch (e) {
        lastErr = `${m}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (!done) {
      this.stats.quarantine_failed++;
      return [mitigationFailed({ ...alert, action: "quarantine" }, `quarantine failed (${lastErr})`, Math.max(0, Date.now() - alert.event.ts))];
    }
    store.put(done);
    q.record("quarantine", { agent, reason, method: done.method, pids: done.pids, cgroup: done.cgroup ?? null, ...(done.container ? { container: done.container } : {}), event_id: alert.event_id });
    this.refresh();
    const what = done.container ? `container ${done.container.name ?? done.container.id.slice(0, 12)} paused` : `${done.method}, ${done.pids.length} processes frozen`;
    return [{ ...alert, rule: "agent-quarantined", engine: "enforce", severity: "critical", action: "quarantine", summary: `agent ${agent} quarantined (${what}): ${reason}; release with: clawav release ${agent}` }];
  }

  private refresh(): void {
    this.stats.quarantined = (this.q?.store?.list() ?? []).map((x) => ({ agent: x.agent, method: x.method, pids: x.pids.length, since: x.since, reason: x.reason }));
  }

  private mitigate(alert: Alert): { alert: Alert; raised: Alert[] } {
    if (alert.action !== "kill" && alert.action !== "kill_tree") return { alert, raised: [] };
    const p = alert.event.process;
    if (this.live() === "monitor" || !p) {
      this.stats.would_kill++;
      return { alert, raised: [] };
    }
    // A record cut before its pid names no process to kill: say so rather than guess.
    const r = p.pid === undefined ? { ok: false as const, reason: "the event's audit record has no pid" } : this.kill({ pid: p.pid, exe: p.exe ?? "", tree: alert.action === "kill_tree" }, this.guard);
    const latency = Math.max(0, Date.now() - alert.event.ts);
    const acted: Alert = { ...alert, mitigation: { action: alert.action, ok: r.ok, latency_ms: latency, ...(r.ok ? { detail: `killed ${r.killed.join(", ")}` } : { detail: r.reason }) } };
    if (r.ok) {
      this.stats.kills_ok++;
      this.note(latency);
      return { alert: acted, raised: [] };
    }
    this.stats.kills_failed++;
    return { alert: acted, raised: [mitigationFailed(alert, r.reason, latency)] };
  }

  private note(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > 1000) this.latencies.shift();
    const sorted = [...this.latencies].sort((a, b) => a - b);
    this.stats.latency_ms = { last: ms, p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! };
  }
}

export function mitigationFailed(original: Alert, reason: string, latencyMs: number): Alert {
  return {
    ...original,
    severity: "critical",
    rule: "mitigation-failed",
    engine: "enforce",
    summary: `could not ${original.action === "quarantine" ? "quarantine the agent" : original.action === "kill_tree" ? "kill the process tree" : "kill the process"} (${reason}) for ${original.rule}: ${original.summary}`,
    action: "alert",
    mitigation: { action: original.action, ok: false, latency_ms: latencyMs, detail: reason },
  };
}
