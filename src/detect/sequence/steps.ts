// The state of sequence rules written in YAML (`sequence:` with steps and `within:`): for each
// rule and each agent (or parent, or process), how far along its steps it is and since when.
// Bounded: the oldest keys go first, counted.

export interface StepRule {
  name: string;
  by: "agent" | "parent" | "process";
  withinMs: number;
  steps: number;
}

interface Progress {
  step: number;
  start: number;
}

export class StepSequences {
  private readonly progress = new Map<string, Progress>();
  evicted = 0;

  constructor(private readonly maxKeys = 8192) {}

  get size(): number {
    return this.progress.size;
  }

  /**
   * Moves a rule along for one event: `matches(i)` says whether the event is step i. Returns
   * true when the last step matched within the window (the rule fires and starts over).
   */
  advance(rule: StepRule, key: string, now: number, matches: (step: number) => boolean): boolean {
    const k = `${rule.name}\u0000${key}`;
    let p = this.progress.get(k);
    if (p && (now - p.start > rule.withinMs || now < p.start)) {
      this.progress.delete(k);
      p = undefined;
    }
    const step = p?.step ?? 0;
    if (!matches(step)) {
      // A first step seen again restarts the window: the latest attempt is the one to follow.
      if (step > 0 && matches(0)) this.set(k, { step: 1, start: now });
      return false;
    }
    if (step + 1 >= rule.steps) {
      this.progress.delete(k);
      return true;
    }
    this.set(k, { step: step + 1, start: step === 0 ? now : p!.start });
    return false;
  }

  private set(k: string, p: Progress): void {
    this.progress.delete(k);
    this.progress.set(k, p);
    while (this.progress.size > this.maxKeys) {
      this.progress.delete(this.progress.keys().next().value!);
      this.evicted++;
    }
  }
}
