// Runs the checks, each guarded (a check that throws is "unknown" with the error, never the end
// of the scan), and keeps the set-id baseline.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Check, CheckResult, CheckStatus, ScanReport } from "./check.js";
import { AGENT_CHECKS } from "./checks/agents.js";
import { KERNEL_CHECKS } from "./checks/kernel.js";
import { PATTERN_CHECKS } from "./checks/patterns.js";
import { baselinePath, setIdFiles, SYSTEM_CHECKS } from "./checks/system.js";
import type { ScanContext } from "./context.js";

export const CHECKS: readonly Check[] = [...SYSTEM_CHECKS, ...KERNEL_CHECKS, ...AGENT_CHECKS, ...PATTERN_CHECKS];

export interface ScanOptions {
  /** Only these check ids. */
  only?: readonly string[];
  /** Take the set-id baseline anew (else it is taken only when there is none). */
  rebaseline?: boolean;
}

export function runScan(ctx: ScanContext, o: ScanOptions = {}): ScanReport {
  const t0 = performance.now();
  const checks = o.only ? CHECKS.filter((c) => o.only!.includes(c.id)) : CHECKS;
  if (o.rebaseline || ctx.read(baselinePath(ctx)) === undefined) writeBaseline(ctx);
  const results: CheckResult[] = checks.map((c) => {
    let out;
    try {
      out = c.run(ctx);
    } catch (e) {
      out = { status: "unknown" as const, evidence: `the check failed: ${e instanceof Error ? e.message : String(e)}` };
    }
    return { id: c.id, title: c.title, severity: c.severity, category: c.category, status: out.status, evidence: out.evidence, remedy: c.remedy };
  });
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, unknown: 0 };
  for (const r of results) counts[r.status]++;
  return { ts: ctx.now, root: ctx.root, duration_ms: Math.round(performance.now() - t0), counts, results };
}

function writeBaseline(ctx: ScanContext): void {
  const file = ctx.path(baselinePath(ctx));
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(Object.fromEntries(setIdFiles(ctx)), null, 1)}\n`, { mode: 0o600 });
  } catch {
    // Not root, or a read-only root: the check then says there is no baseline.
  }
}

/** The checks that passed in `before` and fail in `after`: each one is an alert. */
export function newlyFailing(before: ScanReport | undefined, after: ScanReport): CheckResult[] {
  if (!before) return [];
  const was = new Map(before.results.map((r) => [r.id, r.status]));
  return after.results.filter((r) => r.status === "fail" && was.get(r.id) === "pass");
}
