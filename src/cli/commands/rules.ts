import type { Command } from "commander";
import { UserError, EXIT } from "../../errors/index.js";
import { clawavRules, formatRule, installRules, removeRules, ruleContextFor } from "../../sources/auditd/index.js";
import { configFrom } from "../load-config.js";

export function registerRules(program: Command): void {
  const cmd = program.command("rules").description("clawav's own audit rules (key `clawav`)");
  cmd
    .command("print")
    .description("show the audit rules clawav installs, as auditctl commands")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .action((opts: { config?: string }) => {
      const rules = clawavRules(ruleContextFor(configFrom(opts.config)));
      process.stdout.write(rules.map(formatRule).join("\n") + "\n");
    });
  cmd
    .command("install")
    .description("add the missing clawav rules to the kernel (root); other rules are left alone")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .action((opts: { config?: string }) => {
      if (process.getuid?.() !== 0) throw new UserError("rules install needs root (it calls auditctl)");
      const cfg = configFrom(opts.config);
      const r = installRules(clawavRules(ruleContextFor(cfg)), cfg.auditd.backlog_limit);
      process.stdout.write(`rules: ${r.added.length} added, ${r.present.length} already present, ${r.failed.length} refused${r.backlogRaisedTo ? `, backlog limit raised to ${r.backlogRaisedTo}` : ""}\n`);
      for (const f of r.failed) process.stdout.write(`  refused: ${formatRule(f.rule)}: ${f.reason}\n`);
    });
  cmd
    .command("remove")
    .description("delete clawav's audit rules (key `clawav`) from the kernel (root); other rules are left alone")
    .action(() => {
      if (process.getuid?.() !== 0) throw new UserError("rules remove needs root (it calls auditctl)");
      const r = removeRules();
      process.stdout.write(`rules: ${r.removed} removed${r.gone > 0 ? `, ${r.gone} gone before their turn` : ""} (key clawav); a running daemon adds them back at its next start\n`);
      for (const f of r.failed) process.stderr.write(`clawav: rules remove: auditctl refused ${f.rule}: ${f.reason}\n`);
      if (r.failed.length > 0) process.exitCode = EXIT.FINDINGS;
    });
}
