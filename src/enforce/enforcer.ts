import type { Alert, Severity } from "../events/index.js";
import { maxSeverity } from "../events/index.js";
import type { Mitigator } from "../pipeline/pipeline.js";
import { killProcess, type KillGuard, type KillResult, type KillTarget } from "./kill.js";

export type Mode = "monitor" | "enforce";

export interface EnforcerStatus {
  mode: Mode;
  kills_ok: number;
  kills_failed: number;
  would_kill: number;
  latency_ms: { last?: number; p50?: number; p99?: number };
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
  ) {
    this.stats = { mode, kills_ok: 0, kills_failed: 0, would_kill: 0, latency_ms: {} };
  }

  handle(alert: Alert): Alert[] {
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
