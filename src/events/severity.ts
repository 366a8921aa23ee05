import { SEVERITIES, type Severity } from "./types.js";

// The one ranking of severities: every comparison in clawav goes through it.
const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}

/** For sorting: the most severe first. */
export function bySeverityDesc(a: { severity: Severity }, b: { severity: Severity }): number {
  return RANK[b.severity] - RANK[a.severity];
}

export function parseSeverity(text: string): Severity | undefined {
  const t = text.trim().toLowerCase();
  if (t === "high") return "critical";
  if (t === "medium" || t === "warn") return "warning";
  if (t === "low") return "info";
  return (SEVERITIES as readonly string[]).includes(t) ? (t as Severity) : undefined;
}
