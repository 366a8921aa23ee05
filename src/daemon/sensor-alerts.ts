import type { Alert, Event, Severity } from "../events/index.js";
import { mitreOf } from "../detect/index.js";

/**
 * A watchdog that is blinded must say so. Sensor events (the kernel losing audit records, a
 * source going down, a queue dropping events, a pipeline stage failing) become alerts of their
 * own: flooding the audit backlog is exactly what an agent would do to hide its next command.
 */
const SENSOR_RULES: Record<string, { severity: Severity; rule: string; what: string }> = {
  kernel_lost: { severity: "critical", rule: "sensor-kernel-lost", what: "the kernel lost audit records" },
  source_down: { severity: "critical", rule: "sensor-source-down", what: "an event source went down" },
  queue_drop: { severity: "warning", rule: "sensor-queue-drop", what: "clawav dropped events under load" },
  chain_tampered: { severity: "critical", rule: "audit-chain-tampered", what: "the audit chain was changed while clawav was not running" },
  audit_disabled: { severity: "critical", rule: "sensor-audit-disabled", what: "kernel auditing was switched off" },
  auditd_stopped: { severity: "critical", rule: "sensor-auditd-stopped", what: "auditd stopped" },
  audit_log_missing: { severity: "critical", rule: "sensor-audit-log-missing", what: "the audit log was deleted or moved away" },
  preload_log_forged: { severity: "critical", rule: "preload-log-forged", what: "the preload guard's log holds lines the guard did not write" },
  chain_write_failed: { severity: "critical", rule: "audit-chain-write-failed", what: "the audit chain cannot be written (entries wait in memory until it can)" },
  preload_log_truncated: { severity: "critical", rule: "preload-log-truncated", what: "the preload guard's log was truncated (denials it held may be gone)" },
  policy_reload_failed: { severity: "warning", rule: "policy-reload-failed", what: "a policy failed to load; the previous policies stay in force" },
  firewall_changed: { severity: "critical", rule: "sensor-firewall-changed", what: "the firewall ruleset changed" },
  netfilter_table_changed: { severity: "critical", rule: "sensor-netfilter-table-changed", what: "clawav's nftables table (flow log, egress control) was deleted or changed; clawav put it back" },
  netfilter_log_restarted: { severity: "critical", rule: "sensor-netfilter-log-restarted", what: "the netfilter sensor's reader of the kernel log (journalctl) died and is restarted; flows logged meanwhile are not seen" },
  firewall_unreadable: { severity: "warning", rule: "sensor-firewall-unreadable", what: "the firewall ruleset cannot be read (changes go unseen until it can)" },
  falco_bad_lines: { severity: "warning", rule: "sensor-falco-bad-lines", what: "Falco's output holds lines that are not its alerts" },
  samhain_bad_lines: { severity: "warning", rule: "sensor-samhain-bad-lines", what: "Samhain's log holds lines that are not its messages" },
  samhain_stopped: { severity: "warning", rule: "sensor-samhain-stopped", what: "Samhain exited (as it does after a one-shot check; run as a daemon, it stopped watching)" },
  admin_paused: { severity: "critical", rule: "admin-paused", what: "an admin paused clawav's pushes and enforcement" },
  admin_resumed: { severity: "critical", rule: "admin-resumed", what: "clawav's pushes and enforcement resumed" },
  admin_config_updated: { severity: "warning", rule: "admin-config-updated", what: "an admin replaced clawav's config" },
  admin_lockout: { severity: "critical", rule: "admin-lockout", what: "a client was locked out of the admin socket" },
  admin_wrong_key: { severity: "critical", rule: "admin-wrong-key", what: "a wrong admin key was tried" },
  admin_uninstall: { severity: "critical", rule: "admin-uninstall", what: "clawav is being uninstalled with the admin key" },
  policy_fetch_failed: { severity: "warning", rule: "policy-remote-fetch-failed", what: "the remote policy bundle could not be fetched; the last good policies stay in force" },
  policy_bundle_refused: { severity: "critical", rule: "policy-remote-refused", what: "a remote policy bundle was refused (bad signature, rollback, or rules that do not load); the last good policies stay in force" },
  policy_bundle_applied: { severity: "info", rule: "policy-remote-applied", what: "a new remote policy bundle is in force" },
  stage_failed: { severity: "critical", rule: "pipeline-stage-failed", what: "a stage of clawav's pipeline failed (detection goes on without it for this event)" },
};

export function sensorAlerts(nodeId: string, policyVersion: () => string) {
  return (event: Event): Alert[] => {
    const s = event.sensor;
    if (!s) return [];
    const base = s.condition.split(":", 1)[0]!;
    const r = SENSOR_RULES[base] ?? { severity: "warning" as const, rule: `sensor-${s.condition}`, what: s.condition };
    const count = s.delta !== undefined ? ` (+${s.delta}${s.value !== undefined ? `, total ${s.value}` : ""})` : "";
    return [
      {
        event_id: event.id,
        ts: event.ts,
        severity: r.severity,
        category: "SEC_TAMPER",
        rule: r.rule,
        engine: "sensor",
        summary: `${r.what}${count}: ${s.detail}`,
        action: "alert",
        node_id: nodeId,
        policy_version: policyVersion(),
        mitre: mitreOf(r.rule, "SEC_TAMPER"),
        event,
      },
    ];
  };
}

/** `key`: what sets this event apart from others of its condition (only equal keys fold as repeats). */
export function sensorEvent(id: string, nodeId: string, condition: string, detail: string, value?: number, delta?: number, key?: string): Event {
  return {
    id, ts: Date.now(), source: "daemon", kind: "sensor", node_id: nodeId, fidelity: "userspace",
    sensor: { condition, detail, ...(value !== undefined ? { value } : {}), ...(delta !== undefined ? { delta } : {}), ...(key !== undefined ? { key } : {}) },
  };
}
