import type { Command } from "commander";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { EXIT, UserError } from "../../errors/index.js";
import { QuarantineStore, thaw } from "../../enforce/index.js";
import { configFrom } from "../load-config.js";

export function registerRelease(program: Command): void {
  program
    .command("release")
    .description("thaw a quarantined agent (root): through the running daemon, or --local when it is not running")
    .argument("<agent>", "the agent's name (see /api/status: enforce.quarantined)")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--api <url>", "the daemon's API (default: http://127.0.0.1:<api.port>)")
    .option("--local", "thaw directly from the saved quarantine state, without the daemon")
    .action(async (agent: string, opts: { config?: string; api?: string; local?: boolean }) => {
      if (process.getuid?.() !== 0) throw new UserError("release needs root: only a person with root may thaw an agent");
      const config = configFrom(opts.config);
      if (opts.local) {
        const store = new QuarantineStore(join(config.general.state_dir, "quarantine.json"));
        const q = store.get(agent);
        if (!q) throw new UserError(`agent ${agent} is not quarantined (state in ${config.general.state_dir}/quarantine.json)`, EXIT.FINDINGS);
        try {
          thaw(q);
        } catch (e) {
          throw new UserError(`could not release ${agent}: ${e instanceof Error ? e.message : String(e)}`, EXIT.UNAVAILABLE);
        }
        store.remove(agent);
        process.stdout.write(`released ${agent} (${q.method}, ${q.pids.length} processes); the daemon was not told: restart it if it runs\n`);
        return;
      }
      let token: string;
      const tokenFile = config.api.token_file ?? join(config.general.state_dir, "api-token");
      try {
        token = readFileSync(tokenFile, "utf8").trim();
      } catch (e) {
        throw new UserError(`cannot read the API token ${tokenFile} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
      }
      const base = opts.api ?? `http://127.0.0.1:${config.api.port}`;
      let res: Response;
      try {
        res = await fetch(`${base}/api/agents/${encodeURIComponent(agent)}/release`, { method: "POST", headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
      } catch (e) {
        throw new UserError(`the daemon is not reachable at ${base} (${(e as Error & { cause?: { code?: string } }).cause?.code ?? String(e)}); use --local to thaw without it`);
      }
      const body = (await res.json()) as { error?: string; method?: string; pids?: number[] };
      if (!res.ok) throw new UserError(body.error ?? `HTTP ${res.status}`, EXIT.FINDINGS);
      process.stdout.write(`released ${agent} (${body.method}, ${body.pids?.length ?? 0} processes)\n`);
    });
}
