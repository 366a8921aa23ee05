import type { Severity } from "../events/index.js";

export interface TrustOptions {
  initial: number;
  threshold: number;
  recoveryPerHour: number;
  penalty: Record<Severity, number>;
}

interface AgentTrust {
  score: number;
  at: number;
  /** Below the threshold since the last crossing; cleared once time restores it. */
  below: boolean;
}

/**
 * Each agent's trust: alerts lower it, time restores it (never above the initial value). Falling
 * below the threshold is an event that happens once: it happens again only after the agent has
 * recovered above the threshold. Pure: the clock is passed in.
 */
export class TrustScores {
  private readonly agents = new Map<string, AgentTrust>();

  constructor(private readonly o: TrustOptions) {}

  score(agent: string, now: number): number {
    const s = this.agents.get(agent);
    if (!s) return this.o.initial;
    return Math.min(this.o.initial, s.score + (this.o.recoveryPerHour * Math.max(0, now - s.at)) / 3_600_000);
  }

  /** Lowers the agent's trust for an alert; true only when this alert took it below the threshold. */
  penalise(agent: string, severity: Severity, now: number): boolean {
    const penalty = this.o.penalty[severity];
    const prev = this.agents.get(agent);
    const current = this.score(agent, now);
    const wasBelow = prev !== undefined && prev.below && current < this.o.threshold;
    if (penalty === 0 && prev === undefined) return false;
    const score = Math.max(0, current - penalty);
    const below = score < this.o.threshold;
    this.agents.set(agent, { score, at: now, below });
    return below && !wasBelow;
  }

  isBelow(agent: string, now: number): boolean {
    return this.agents.get(agent)?.below === true && this.score(agent, now) < this.o.threshold;
  }

  reset(agent: string): void {
    this.agents.delete(agent);
  }

  all(now: number): Record<string, number> {
    return Object.fromEntries([...this.agents.keys()].map((a) => [a, Math.round(this.score(a, now) * 10) / 10]));
  }
}
