import type { Command } from "commander";
import { daemonEndpoint } from "../../gate/index.js";
import { EXIT, UserError } from "../../errors/index.js";
import { configFrom } from "../load-config.js";
import { runTui } from "../tui/app.js";

export function registerTui(program: Command): void {
  program
    .command("tui")
    .description("the terminal dashboard (root: it reads the API token): tabs Alerts, Network, Sources, Files, System, Agents; ←/→ or 1-6, ↑/↓, / to filter, Enter for detail, p to pause the view, q to quit")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .action(async (opts: { config?: string }) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UserError("clawav tui needs a terminal (for scripts: the JSON API, or clawav admin status)", EXIT.USAGE);
      const ep = daemonEndpoint(configFrom(opts.config));
      if (!ep.ok) throw new UserError(ep.reason, EXIT.UNAVAILABLE);
      await runTui(ep.endpoint, { input: process.stdin, output: process.stdout });
    });
}
