import type { Severity } from "../events/index.js";

export interface TrustOptions {
  initial: number;
  threshold: number;
  recoveryPerHour: number;
  penalty: Record<Severity, number>;
}

/**
 * Each agent's trust: alerts lower it, time restores it (never above the initial value). Below
 * the threshold the agent is to be quarantined. Pure: the clock is passed in.
 */
export class TrustScores {
  private readonly scores = new Map<string, { score: number; at: number }>();

  constructor(private readonly o: TrustOptions) {}

  score(agent: string, now: number): number {
    const s = this.scores.get(agent);
    if (!s) return this.o.initial;
    return Math.min(this.o.initial, s.score + (this.o.recoveryPerHour * (now - s.at)) / 3_600_000);
  }

  /** Lowers the agent's trust for an alert; true when it is now below the threshold. */
  penalise(agent: string, severity: Severity, now: number): boolean {
    const score = Math.max(0, this.score(agent, now) - this.o.penalty[severity]);
    this.scores.set(agent, { score, at: now });
    return score < this.o.threshold;
  }

  reset(agent: string): void {
    this.scores.delete(agent);
  }

  all(now: number): Record<string, number> {
    return Object.fromEntries([...this.scores.keys()].map((a) => [a, Math.round(this.score(a, now) * 10) / 10]));
  }
}
