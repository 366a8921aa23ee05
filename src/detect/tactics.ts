// What an ATT&CK tactic means as a clawav category, for rules written elsewhere (Sigma's tags,
// Falco's tags) that name tactics rather than clawav categories.
import type { Category } from "../events/index.js";

/** ATT&CK tactic tags (both the v17 and the v18 names) and the clawav category each means. */
const CATEGORY_OF_TACTIC: Record<string, Category> = {
  "credential-access": "CRED_ACCESS",
  "privilege-escalation": "PRIV_ESC",
  "defense-evasion": "EVASION",
  stealth: "EVASION",
  "defense-impairment": "SEC_TAMPER",
  persistence: "PERSISTENCE",
  execution: "EXECUTION",
  discovery: "RECON",
  reconnaissance: "RECON",
  collection: "DATA_EXFIL",
  exfiltration: "DATA_EXFIL",
  "command-and-control": "DATA_EXFIL",
  impact: "SEC_TAMPER",
  "lateral-movement": "EXECUTION",
  "initial-access": "EXECUTION",
  "resource-development": "SUPPLY_CHAIN",
};

/** The category of a tactic named as Sigma (`defense-evasion`) or Falco (`mitre_defense_evasion`) writes it. */
export function categoryOfTactic(tag: string): Category | undefined {
  const t = tag.toLowerCase().replace(/^mitre_/, "").replace(/_/g, "-");
  return Object.hasOwn(CATEGORY_OF_TACTIC, t) ? CATEGORY_OF_TACTIC[t] : undefined;
}
