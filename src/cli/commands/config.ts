import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { ConfigError, loadConfigFile, locateKey, redactConfig, type Config, type ConfigIssue } from "../../config/index.js";
import { systemUserNames } from "../../enrich/index.js";
import { FULL, profileNames } from "../../profiles/index.js";
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

/** Checks against this machine that `run` makes when it starts (user names resolve). */
function machineIssues(config: Config, text: string, file: string): ConfigIssue[] {
  const users = systemUserNames();
  const out: ConfigIssue[] = [];
  const g = config.general;
  const check = (name: string, path: (string | number)[]) => {
    if (!/^\d+$/.test(name) && users.uid(name) === undefined) out.push({ file, line: locateKey(text, path), key: path.join("."), message: `no such user "${name}" on this machine (give a uid or an existing user name)` });
  };
  g.watched_users.forEach((n, i) => check(n, ["general", "watched_users", i]));
  if (g.watched_user !== undefined) check(g.watched_user, ["general", "watched_user"]);
  const profile = config.profile.name;
  if (profile !== undefined && profile !== FULL && !profileNames().includes(profile))
    out.push({ file, line: locateKey(text, ["profile", "name"]), key: "profile.name", message: `no agent profile "${profile}": known profiles are ${profileNames().join(", ")} (clawav profiles list)` });
  return out;
}
