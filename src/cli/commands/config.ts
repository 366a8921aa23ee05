import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { ConfigError, loadConfigFile, redactConfig } from "../../config/index.js";
import { machineIssues } from "../../daemon/index.js";
import { configFrom, DEFAULT_CONFIG_PATH } from "../load-config.js";

export function registerConfig(program: Command): void {
  const cmd = program.command("config").description("check or show the configuration");
  cmd
    .command("check")
    .description("validate a config.toml; errors name file, line and key")
    .argument("[file]", "the config file", DEFAULT_CONFIG_PATH)
    .action((file: string) => {
      const config = loadConfigFile(file);
      // What run would find wrong on this machine, said now with the line: names of users that do not exist.
      const issues = machineIssues(config, readFileSync(file, "utf8"), file);
      if (issues.length > 0) throw new ConfigError(issues);
      process.stdout.write(`OK: ${file}\n`);
    });
  cmd
    .command("print")
    .description("print the effective config (built-in defaults, or --config FILE) as JSON, secrets redacted")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .action((opts: { config?: string }) => {
      process.stdout.write(JSON.stringify(redactConfig(configFrom(opts.config)), null, 2) + "\n");
    });
}
