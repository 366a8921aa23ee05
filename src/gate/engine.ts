import type { Alert, AlertAction, Category, Event, Severity } from "../events/index.js";
import type { Engine } from "../events/index.js";
import { displayCommand } from "./clawsudo/command.js";
import { mitreOf } from "../detect/index.js";

const PRELOAD_CATEGORY: Record<string, Category> = { exec: "EXECUTION", read: "CRED_ACCESS", write: "SEC_TAMPER", connect: "DATA_EXFIL" };

/**
 * Turns the gates' own events (clawsudo decisions, preload denials) into alerts, so that every
 * decision reaches the audit chain and a person through the same path as any detection.
 */
/** `policyVersion` is read at each alert: a remote bundle changes it while the daemon runs. */
export function createGateEngine(policyVersion: () => string): Engine {
  return {
    name: "gate",
    evaluate(e: Event): Alert[] {
      const g = e.gate;
      const guard = e.process?.guard;
      if (e.kind === "exec" && guard) {
        return [{ event_id: e.id, ts: e.ts, severity: "critical", category: "EVASION", rule: "preload-guard-missing", engine: "gate", mitre: mitreOf("preload-guard-missing"), summary: `agent ${e.process?.agent ?? "?"} runs ${e.process?.exe ?? "?"} (pid ${e.process?.pid ?? "?"}) without the preload guard: ${guard.reason}`, action: "alert", node_id: e.node_id, policy_version: policyVersion(), event: e }];
      }
      if (e.kind !== "gate" || !g) return [];
      const alert = (severity: Severity, category: Category, rule: string, action: AlertAction, summary: string): Alert[] => [
        { event_id: e.id, ts: e.ts, severity, category, rule, engine: "gate", summary, action, node_id: e.node_id, policy_version: policyVersion(), mitre: mitreOf(rule, category), event: e },
      ];
      const who = e.process?.user ?? (e.process ? `uid ${e.process.uid}` : "?");
      if (g.gate === "clawsudo") {
        const cmd = displayCommand(e.process?.argv ?? []);
        const id = g.request_id ?? "?";
        switch (g.decision) {
          case "deny":
            return alert("warning", "PRIV_ESC", "clawsudo-deny", "deny", `clawsudo denied ${who}: ${cmd} — ${g.reason}`);
          case "ask":
            return alert("warning", "PRIV_ESC", "clawsudo-ask", "ask", `clawsudo request ${id} from ${who}: ${cmd} — ${g.reason}. To allow it once, as root: clawav approve ${id}`);
          case "allow":
            return alert("info", "PRIV_ESC", "clawsudo-allow", "allow", `clawsudo allowed ${who}: ${cmd} (${g.rule ?? g.reason})`);
          case "approved":
            return alert("info", "PRIV_ESC", "clawsudo-approved", "allow", `clawsudo request ${id} approved by ${g.by ?? "?"}: ${cmd}`);
          case "rejected":
            return alert("info", "PRIV_ESC", "clawsudo-rejected", "deny", `clawsudo request ${id} rejected by ${g.by ?? "?"}: ${cmd}`);
          case "timeout":
            return alert("warning", "PRIV_ESC", "clawsudo-timeout", "deny", `clawsudo request ${id} from ${who} timed out unanswered: ${cmd}`);
          case "used":
            return alert("info", "PRIV_ESC", "clawsudo-run", "allow", `clawsudo ran approved request ${id} for ${who}: ${cmd}`);
          case "result":
            return alert("info", "PRIV_ESC", "clawsudo-exit", "none", `clawsudo command of ${who} exited ${g.exit ?? "?"}: ${cmd}`);
          default:
            return [];
        }
      }
      if (g.decision === "notice") {
        // The guard refusing its policy (or having none) is someone tampering with it, or a broken install.
        const critical = g.op === "policy_invalid" || g.op === "policy_rejected";
        return alert(critical ? "critical" : "warning", "SEC_TAMPER", `preload-${g.op ?? "notice"}`, "alert", `preload guard in ${e.process?.exe ?? "?"} (pid ${e.process?.pid ?? "?"}): ${g.op ?? "notice"}: ${g.reason}`);
      }
      const op = g.op ?? "?";
      const target = op === "connect" && e.net ? `${e.net.address ?? "?"} port ${e.net.port ?? "?"}` : op === "exec" ? displayCommand(g.target_argv ?? [e.file?.path ?? "?"]) : (e.file?.path ?? "?");
      return alert("warning", PRELOAD_CATEGORY[op] ?? "EXECUTION", `preload-deny-${op}`, "deny", `preload guard denied ${op} by ${e.process?.exe ?? "?"} (pid ${e.process?.pid ?? "?"}, ${who}): ${target} — ${g.rule ?? g.reason}`);
    },
  };
}
