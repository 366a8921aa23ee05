import type { Command } from "commander";
import { existsSync, statSync } from "node:fs";
import { EXIT, UserError } from "../../errors/index.js";
import { CHECKS, runScan, scanContext, type CheckResult } from "../../scan/index.js";
import { configFrom } from "../load-config.js";

const RANK = { critical: 0, warning: 1, info: 2 } as const;
const ORDER = { fail: 0, unknown: 1, pass: 2 } as const;

function line(r: CheckResult): string {
  return `${r.status.toUpperCase().padEnd(7)} ${r.severity.padEnd(8)} ${r.id}: ${r.title}\n        ${r.evidence}${r.status === "fail" ? `\n        fix: ${r.remedy}` : ""}`;
}

export function registerScan(program: Command): void {
  program
    .command("scan")
    .description(`check the machine's posture (${CHECKS.length} checks: firewall, audit, SSH, sudoers, PATH, set-id programs, kernel settings, CPU flaws, updates, container sockets, the agents' secrets and persistence, clawav's own files); exit 1 when one fails`)
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--root <dir>", "check the tree under DIR (a mounted disk, a container's rootfs) instead of this machine: its files only, no commands")
    .option("--json", "the report as JSON")
    .option("--check <id>", "only this check (repeat for more; clawav scan --list names them)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--rebaseline", "take the baseline of set-id programs anew (after an upgrade you trust)")
    .option("--list", "list the checks and exit")
    .option("--state-dir <dir>", "clawav's state folder (the set-id baseline, the heartbeat), instead of general.state_dir")
    .action((o: { config?: string; root?: string; json?: boolean; check: string[]; rebaseline?: boolean; list?: boolean; stateDir?: string }) => {
      if (o.list) {
        for (const c of CHECKS) process.stdout.write(`${c.id.padEnd(30)} ${c.severity.padEnd(8)} ${c.title}\n`);
        return;
      }
      for (const id of o.check) if (!CHECKS.some((c) => c.id === id)) throw new UserError(`--check: no check "${id}" (clawav scan --list)`, EXIT.USAGE);
      if (o.root !== undefined && (!existsSync(o.root) || !statSync(o.root).isDirectory())) throw new UserError(`--root: ${o.root} is not a folder`, EXIT.NOINPUT);
      const loaded = configFrom(o.config);
      const config = o.stateDir !== undefined ? { ...loaded, general: { ...loaded.general, state_dir: o.stateDir } } : loaded;
      const report = runScan(scanContext(config, o.root ?? "/"), { ...(o.check.length > 0 ? { only: o.check } : {}), rebaseline: o.rebaseline });
      if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const sorted = [...report.results].sort((a, b) => ORDER[a.status] - ORDER[b.status] || RANK[a.severity] - RANK[b.severity] || a.id.localeCompare(b.id));
        for (const r of sorted) process.stdout.write(`${line(r)}\n`);
        process.stdout.write(`scan${o.root ? ` of ${o.root}` : ""}: ${report.results.length} checks: ${report.counts.pass} pass, ${report.counts.fail} fail, ${report.counts.unknown} unknown (${report.duration_ms} ms)\n`);
      }
      if (report.counts.fail > 0) process.exitCode = EXIT.FINDINGS;
    });
}
