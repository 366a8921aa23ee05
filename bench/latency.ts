// Per-event latency of a judge over a set of events: warmed, sampled into a typed array, as quantiles.
import type { Event } from "../src/events/index.js";

export function measure(name: string, events: Event[], rounds: number, evaluate: (e: Event) => unknown, GOAL_US: number): (string | number)[] {
  // Warm the caches and the JIT (a daemon runs for days; the first thousand events are not its steady state).
  for (let w = 0; w < Math.max(1, Math.ceil(20_000 / events.length)); w++) for (const e of events) evaluate(e);
  // Samples in a preallocated typed array, timed with performance.now() (a double, no BigInt per
  // call): the harness itself must not add garbage the detector would then be blamed for.
  const ns = new Float64Array(rounds * events.length);
  let n = 0;
  let fired = 0;
  for (let r = 0; r < rounds; r++)
    for (const e of events) {
      const t0 = performance.now();
      const a = evaluate(e) as unknown[];
      ns[n++] = (performance.now() - t0) * 1e6;
      if (r === 0 && a.length > 0) fired++;
    }
  ns.sort();
  const q = (x: number) => ns[Math.min(ns.length - 1, Math.floor(ns.length * x))]! / 1000;
  return [name, events.length, ns.length, fired, q(0.5).toFixed(2), q(0.99).toFixed(2), q(0.999).toFixed(2), (q(0.99) / GOAL_US).toFixed(2)];
}

