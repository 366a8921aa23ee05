import type { Alert, Severity } from "../events/index.js";
import { maxSeverity } from "../events/index.js";
import type { Mitigator } from "../pipeline/index.js";
import { killProcess, type KillGuard, type KillResult, type KillTarget } from "./kill.js";
import { availableMethods, enforceOn, freeze, pidsOfUid, thaw, type FreezeMethod, type Quarantined, type QuarantineStore } from "./quarantine.js";
import type { TrustScores } from "./trust.js";

export interface QuarantineDeps {
  trust: TrustScores;
  store: QuarantineStore;
  /** Quarantine when trust falls below the threshold (config enforce.auto_quarantine). */
  auto: boolean;
  /** Every quarantine and release goes into the audit chain. */
  record: (type: "quarantine" | "release", data: Record<string, unknown>) => void;
  methods?: FreezeMethod[];
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
  trust: Record<string, number>;
}

/**
 * Monitor or enforce (seed 003). A rule whose enforcement is kill or kill_tree is a denial:
 * in monitor mode it is reported as at least a warning and nothing is touched; in enforce mode
 * the process is killed with SIGKILL and the alert is critical. A kill that fails (the process
 * already gone, a refusal) raises a critical "mitigation failed" alert of its own.
 * Severity composes as the higher of what detection said and what the mode maps to.
 */
export class Enforcer implements Mitigator {
  readonly stats: EnforcerStatus;
  private readonly latencies: number[] = [];

  constructor(
    private readonly mode: Mode,
    private readonly guard: KillGuard,
    private readonly kill: (t: KillTarget, g: KillGuard) => KillResult = killProcess,
    private readonly now: () => number = Date.now,
    private readonly q?: QuarantineDeps,
  ) {
    this.stats = { mode, kills_ok: 0, kills_failed: 0, would_kill: 0, latency_ms: {}, quarantined: [], would_quarantine: 0, trust: {} };
  }

  handle(alert: Alert): Alert[] {
    const out = this.mitigate(alert);
    return this.q ? [...out, ...this.judgeTrust(alert)] : out;
  }

  /** The quarantine of the agent, if any; new processes of a quarantined agent join it. */
  quarantineOf(agent: string | undefined): Quarantined | undefined {
    return agent === undefined ? undefined : this.q?.store.get(agent);
  }

  onExec(agent: string | undefined, pid: number): void {
    const q = this.quarantineOf(agent);
    if (q && !this.guard.protectedPids.has(pid)) enforceOn(q, pid);
  }

  /** Thaws an agent (a person's decision); recorded in the chain. */
  release(agent: string, by: string): Quarantined | undefined {
    const q = this.q?.store.get(agent);
    if (!q || !this.q) return undefined;
    thaw(q);
    this.q.store.remove(agent);
    this.q.trust.reset(agent);
    this.q.record("release", { agent, by, method: q.method, pids: q.pids, frozen_since: q.since });
    this.refresh();
    return q;
  }

  private judgeTrust(alert: Alert): Alert[] {
    const q = this.q!;
    const p = alert.event.process;
    const agent = p?.agent;
    if (!p || agent === undefined || alert.engine === "enforce" || q.store.get(agent)) return [];
    const below = q.trust.penalise(agent, alert.severity, this.now());
    const ruleSays = alert.action === "quarantine" && alert.severity === "critical";
    this.stats.trust = q.trust.all(this.now());
    if (!(ruleSays || (below && q.auto))) return [];
    const reason = ruleSays ? `rule ${alert.rule} (critical) asks for quarantine` : `trust fell below the threshold (${q.trust.score(agent, this.now()).toFixed(0)})`;
    if (this.mode === "monitor") {
      this.stats.would_quarantine++;
      return [{ ...alert, rule: "agent-would-be-quarantined", engine: "enforce", severity: "warning", action: "alert", summary: `monitor mode: agent ${agent} would be quarantined: ${reason}` }];
    }
    const pids = pidsOfUid(p.uid, this.guard.protectedPids);
    let done: Quarantined | undefined;
    let lastErr = "";
    for (const m of q.methods ?? availableMethods()) {
      try {
        done = freeze(agent, pids, m, reason);
        break;
      } catch (e) {
        lastErr = `${m}: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (!done) return [mitigationFailed({ ...alert, action: "quarantine" }, `quarantine failed (${lastErr})`, Math.max(0, this.now() - alert.event.ts))];
    q.store.put(done);
    q.record("quarantine", { agent, reason, method: done.method, pids: done.pids, cgroup: done.cgroup ?? null, event_id: alert.event_id });
    this.refresh();
    return [{ ...alert, rule: "agent-quarantined", engine: "enforce", severity: "critical", action: "quarantine", summary: `agent ${agent} quarantined (${done.method}, ${done.pids.length} processes frozen): ${reason}; release with: clawav release ${agent}` }];
  }

  private refresh(): void {
    this.stats.quarantined = (this.q?.store.list() ?? []).map((x) => ({ agent: x.agent, method: x.method, pids: x.pids.length, since: x.since, reason: x.reason }));
  }

  private mitigate(alert: Alert): Alert[] {
    if (alert.action !== "kill" && alert.action !== "kill_tree") return [alert];
    const p = alert.event.process;
    if (this.mode === "monitor" || !p) {
      this.stats.would_kill++;
      return [{ ...alert, severity: maxSeverity(alert.severity, "warning") }];
    }
    const r = this.kill({ pid: p.pid, exe: p.exe, tree: alert.action === "kill_tree" }, this.guard);
    const latency = Math.max(0, this.now() - alert.event.ts);
    const acted: Alert = { ...alert, severity: "critical", mitigation: { action: alert.action, ok: r.ok, latency_ms: latency, ...(r.ok ? { detail: `killed ${r.killed.join(", ")}` } : { detail: r.reason }) } };
    if (r.ok) {
      this.stats.kills_ok++;
      this.note(latency);
      return [acted];
    }
    this.stats.kills_failed++;
    return [acted, mitigationFailed(alert, r.reason, latency)];
  }

  private note(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > 1000) this.latencies.shift();
    const sorted = [...this.latencies].sort((a, b) => a - b);
    this.stats.latency_ms = { last: ms, p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! };
  }
}

export function mitigationFailed(original: Alert, reason: string, latencyMs: number): Alert {
  const sev: Severity = "critical";
  return {
    ...original,
    severity: sev,
    rule: "mitigation-failed",
    engine: "enforce",
    summary: `could not ${original.action === "kill_tree" ? "kill the process tree" : "kill the process"} (${reason}) for ${original.rule}: ${original.summary}`,
    action: "alert",
    mitigation: { action: original.action, ok: false, latency_ms: latencyMs, detail: reason },
  };
}
