// Flows clawav's nftables table logged: an agent's flow its egress control dropped is an alert
// (the agent tried to reach somewhere it may not); a flow logged and let through is a record,
// not judged again (auditd's and eBPF's connects, with the process, are what the rules judge).
import type { Alert, Event } from "../events/index.js";
import { mitreOf } from "./mitre.js";

export const EGRESS_BLOCKED = "netfilter-egress-blocked";

export function netfilterAlerts(e: Event, policyVersion: string): Alert[] {
  const n = e.net;
  if (n?.netfilter?.verdict !== "dropped") return [];
  const p = e.process;
  const who = p?.user !== undefined ? `${p.user} (uid ${p.uid})` : `uid ${p?.uid ?? "?"}`;
  const to = n.address !== undefined && n.address.includes(":") ? `[${n.address}]` : n.address;
  const summary = `egress control dropped ${n.netfilter.protocol} from ${who} to ${to}${n.port !== undefined ? `:${n.port}` : ""} (not loopback, allowed_cidrs, an allowed host's address or a DNS server)`;
  return [{ event_id: e.id, ts: e.ts, severity: "warning", category: "DATA_EXFIL", rule: EGRESS_BLOCKED, engine: "netfilter", summary, action: "alert", node_id: e.node_id, policy_version: policyVersion, mitre: mitreOf(EGRESS_BLOCKED, "DATA_EXFIL"), event: e }];
}
