import { SEVERITIES, type Severity } from "./types.js";

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}

export function atLeast(s: Severity, min: Severity): boolean {
  return RANK[s] >= RANK[min];
}

export function parseSeverity(text: string): Severity | undefined {
  const t = text.trim().toLowerCase();
  if (t === "high") return "critical";
  if (t === "medium" || t === "warn") return "warning";
  if (t === "low") return "info";
  return (SEVERITIES as readonly string[]).includes(t) ? (t as Severity) : undefined;
}
