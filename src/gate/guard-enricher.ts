import type { Enricher, Event } from "../events/index.js";
import { preloadState } from "./preload-check.js";

/**
 * Agents started by `clawav exec` must run with the preload guard. For each exec of such an
 * agent's process this reads /proc (its mappings, interpreter, environment) and marks the process
 * when the guard is missing; the gate engine turns the mark into an EVASION alert.
 */
export class PreloadGuardEnricher implements Enricher {
  readonly name = "preload-guard";
  private readonly guarded = new Map<string, { uid: number }>();
  readonly stats = { checked: 0, missing: 0, unknown: 0 };

  register(agent: string, uid: number): void {
    this.guarded.set(agent, { uid });
  }

  agents(): string[] {
    return [...this.guarded.keys()];
  }

  enrich(e: Event): void {
    const p = e.process;
    if (e.kind !== "exec" || !p?.agent || p.guard !== undefined) return;
    const g = this.guarded.get(p.agent);
    // Set-id programs run without LD_PRELOAD by the loader's design; clawsudo and auditd cover them.
    if (!g || p.pid === undefined || p.uid !== g.uid || p.euid !== p.uid) return;
    this.stats.checked++;
    const st = preloadState(p.pid, p.exe);
    if (st.state === "missing") {
      this.stats.missing++;
      p.guard = { preload: "missing", reason: st.reason };
    } else if (st.state === "unknown") this.stats.unknown++;
  }

  status(): Record<string, number> {
    return { ...this.stats };
  }
}
