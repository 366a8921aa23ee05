import type { Category, Severity } from "../events/index.js";
import type { ScanContext } from "./context.js";

/** pass: as it should be; fail: not; unknown: cannot be told here (evidence says why). */
export type CheckStatus = "pass" | "fail" | "unknown";

export interface CheckOutcome {
  status: CheckStatus;
  evidence: string;
}

export interface Check {
  id: string;
  title: string;
  severity: Severity;
  /** The alert's category when this check starts failing. */
  category: Category;
  remedy: string;
  run(ctx: ScanContext): CheckOutcome;
}

export interface CheckResult {
  id: string;
  title: string;
  severity: Severity;
  category: Category;
  status: CheckStatus;
  evidence: string;
  remedy: string;
}

export interface ScanReport {
  ts: number;
  root: string;
  duration_ms: number;
  counts: Record<CheckStatus, number>;
  results: CheckResult[];
}

export const pass = (evidence: string): CheckOutcome => ({ status: "pass", evidence });
export const fail = (evidence: string): CheckOutcome => ({ status: "fail", evidence });
export const unknown = (evidence: string): CheckOutcome => ({ status: "unknown", evidence });

/** At most n items, then how many more: evidence stays one readable line. */
export function some(items: readonly string[], n = 5): string {
  return items.length <= n ? items.join(", ") : `${items.slice(0, n).join(", ")} and ${items.length - n} more`;
}
