// Findings other tools made (Falco's rules, Samhain's integrity checks) become clawav alerts as
// they stand: the tool judged, clawav carries the finding to people and the chain, and gives it a
// category and ATT&CK ids from its tags.
import type { Alert, Category, Event } from "../events/index.js";
import { MITRE_ID } from "./mitre.js";
import { categoryOfTactic } from "./tactics.js";

const DEFAULT_CATEGORY: Record<string, Category> = { falco: "EXECUTION", samhain: "PERSISTENCE", scan: "SEC_TAMPER", integrity: "PERSISTENCE", proxy: "DATA_EXFIL" };

export function externalAlert(e: Event, policyVersion: string): Alert[] {
  const x = e.external;
  if (!x) return [];
  const category = x.category ?? x.tags.map(categoryOfTactic).find((c) => c !== undefined) ?? DEFAULT_CATEGORY[x.tool] ?? "EXECUTION";
  const mitre = [...new Set(x.tags.map((t) => t.toUpperCase()).filter((t) => MITRE_ID.test(t)))];
  const slug = x.rule.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80) || "finding";
  const output = x.output.length > 500 ? `${x.output.slice(0, 500)}…` : x.output;
  return [{ event_id: e.id, ts: e.ts, severity: x.severity, category, rule: `${x.tool}/${slug}`, engine: x.tool, summary: `${x.rule} (${x.tool} ${x.priority}): ${output}`, action: "alert", node_id: e.node_id, policy_version: policyVersion, mitre, event: e }];
}
