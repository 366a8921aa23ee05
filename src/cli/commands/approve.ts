import type { Command } from "commander";
import { getuid } from "node:process";
import { UserError, EXIT } from "../../errors/index.js";
import { callDaemon, daemonEndpoint, describeFailure, displayCommand, replyError } from "../../gate/index.js";
import { configFrom } from "../load-config.js";

interface RequestView {
  id: string;
  state: string;
  user: string;
  argv: string[];
  cwd: string;
  reason: string;
  expires: number;
}

export function registerApprove(program: Command): void {
  program
    .command("approve")
    .description("answer a pending clawsudo request (as root: it needs the daemon's admin token)")
    .argument("[id]", "the request id from the alert or clawsudo's message")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--deny", "reject the request instead")
    .option("-l, --list", "list pending requests")
    .action(async (id: string | undefined, opts: { config?: string; deny?: boolean; list?: boolean }) => {
      const config = configFrom(opts.config);
      const ep = daemonEndpoint(config);
      if (!ep.ok) throw new UserError(ep.reason, EXIT.UNAVAILABLE);
      const call = async (method: "GET" | "POST", path: string, body?: unknown) => {
        try {
          return await callDaemon(ep.endpoint, method, path, body);
        } catch (e) {
          throw new UserError(`the daemon is unreachable at ${ep.endpoint.base}: ${describeFailure(e)}`, EXIT.UNAVAILABLE);
        }
      };
      if (opts.list || id === undefined) {
        const r = await call("GET", "/api/clawsudo/requests");
        if (r.status !== 200) throw new UserError(`the daemon said: ${replyError(r)}`, EXIT.FINDINGS);
        const reqs = (r.body.requests ?? []) as RequestView[];
        if (reqs.length === 0) process.stdout.write("no pending clawsudo requests\n");
        for (const q of reqs) {
          const left = Math.max(0, Math.round((q.expires - Date.now()) / 1000));
          process.stdout.write(`${q.id}  ${q.state.padEnd(8)}  ${q.user}  in ${q.cwd}: ${displayCommand(q.argv)}  (${left} s left; ${q.reason})\n`);
        }
        return;
      }
      if (!/^[0-9a-f]{8}$/.test(id)) throw new UserError(`"${id}" is not a request id (8 hex digits)`);
      const by = `clawav approve as uid ${getuid?.() ?? "?"}${process.env.SUDO_USER ? ` (sudo by ${process.env.SUDO_USER})` : ""}`;
      const r = await call("POST", `/api/clawsudo/requests/${id}/${opts.deny ? "reject" : "approve"}`, { by });
      if (r.status !== 200) throw new UserError(replyError(r), EXIT.FINDINGS);
      const q = r.body as unknown as RequestView;
      process.stdout.write(`${opts.deny ? "rejected" : "approved"} ${q.id}: ${q.user}: ${displayCommand(q.argv)}\n`);
    });
}
