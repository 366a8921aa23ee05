import type { Enricher, Event } from "../events/index.js";
import type { ProcessTable } from "./process-table.js";

/** Programs whose signals from a watched agent are an attack on the watch itself. */
const DEFENCES = /^(auditd|audispd|laurel|falco|samhain|clawav|osqueryd)$/;

/**
 * Names the target of a signal: which process a kill, tkill or tgkill was aimed at, and whether
 * it is one of the defences (auditd, clawav itself and its ancestors). Read from the process
 * table, which the live daemon fills from /proc.
 */
export function signalTargetEnricher(table: ProcessTable, protectedPids: () => ReadonlySet<number>): Enricher {
  return {
    name: "signal-target",
    enrich(e: Event): void {
      const sc = e.syscall;
      if (e.kind !== "signal" || !sc || sc.target !== undefined) return;
      const pid = parseInt(sc.args[0] ?? "", 16);
      // kill(-1) and process groups (negative pids, as 32-bit hex) name no single process.
      if (!Number.isInteger(pid) || pid <= 0 || pid > 0x3fffffff) return;
      const entry = table.get(pid);
      const base = entry?.exe.slice(entry.exe.lastIndexOf("/") + 1) ?? "";
      const argv0 = entry?.argv0 ?? "";
      const isDefence = protectedPids().has(pid) || DEFENCES.test(base) || /(^|\/)clawav(\.js)?$/.test(argv0);
      sc.target = { pid, ...(entry ? { exe: entry.exe } : {}), ...(isDefence ? { protected: true } : {}) };
    },
  };
}
