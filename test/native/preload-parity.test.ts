// clawav's preload policy reader and the guard's own C parser must give the same verdict on every
// file (issue 12): one that clawav accepts and the guard refuses makes the guard fail closed, and
// the agent can run nothing. 100,000 generated policies, each pushed at an edge, in every run.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CHECKER, runParity } from "../helpers/preload-parity.js";

describe("preload policy: clawav and the guard's parser agree", () => {
  it("is built (npm run build:native)", () => {
    expect(existsSync(CHECKER)).toBe(true);
  });

  // npm run fuzz sets FUZZ_RUNS to a million.
  const cases = Math.max(100_000, Number(process.env.FUZZ_RUNS ?? 0));
  it(`on ${cases} generated policies, with both verdicts represented`, () => {
    const t0 = performance.now();
    const run = runParity(1, cases);
    console.log(`preload parity: ${run.cases} policies, ${run.accepted} accepted, ${run.disagreements.length} disagreements, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // A generator that only made broken documents would agree trivially: both verdicts must be common.
    expect(run.accepted).toBeGreaterThan(10_000);
    expect(run.cases - run.accepted).toBeGreaterThan(10_000);
    expect(run.disagreements.slice(0, 5)).toEqual([]);
  }, Math.max(600_000, cases * 10));
});
