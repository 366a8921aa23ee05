// Judgments of the system's auth log (sshd, sudo, su, useradd as rsyslog keeps them): what an
// agent that tries to raise its privileges or get in another way leaves there even when the
// attempt fails before any exec clawav would see.
import type { Alert, Category, Event, Severity } from "../events/index.js";
import { mitreOf } from "./mitre.js";

interface AuthRule {
  id: string;
  program: RegExp;
  message: RegExp;
  category: Category;
  severity: Severity;
  what: string;
}

export const AUTH_RULES: readonly AuthRule[] = [
  { id: "auth.sudo-refused", program: /^sudo$/, message: /user NOT in sudoers|incorrect password attempts?|a password is required|command not allowed/, category: "PRIV_ESC", severity: "warning", what: "sudo refused a user" },
  { id: "auth.su-failed", program: /^su$/, message: /FAILED SU|authentication failure/i, category: "PRIV_ESC", severity: "warning", what: "su failed" },
  { id: "auth.ssh-failed", program: /^sshd$/, message: /^(Failed \S+ for|Invalid user|Connection closed by authenticating user)|authentication failure/, category: "CRED_ACCESS", severity: "info", what: "an ssh login failed" },
  { id: "auth.ssh-root-login", program: /^sshd$/, message: /^Accepted \S+ for root /, category: "PRIV_ESC", severity: "warning", what: "root logged in over ssh" },
  { id: "auth.user-added", program: /^(useradd|adduser)$/, message: /^new user: /, category: "PERSISTENCE", severity: "warning", what: "a user account was added" },
];

export function authAlerts(e: Event, policyVersion: string): Alert[] {
  const l = e.log;
  if (!l || l.log !== "auth") return [];
  const out: Alert[] = [];
  for (const r of AUTH_RULES) {
    if (!r.program.test(l.program) || !r.message.test(l.message)) continue;
    const msg = l.message.length > 300 ? `${l.message.slice(0, 300)}…` : l.message;
    out.push({ event_id: e.id, ts: e.ts, severity: r.severity, category: r.category, rule: r.id, engine: "auth", summary: `${r.what}: ${l.program}${l.pid !== undefined ? `[${l.pid}]` : ""}: ${msg}`, action: "alert", node_id: e.node_id, policy_version: policyVersion, mitre: mitreOf(r.id, r.category), event: e });
  }
  return out;
}
