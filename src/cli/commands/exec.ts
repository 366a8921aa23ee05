import type { Command } from "commander";
import { spawn } from "node:child_process";
import { basename } from "node:path";
import { constants } from "node:os";
import { UserError } from "../../errors/index.js";
import { callDaemon, daemonEndpoint, describeFailure, guardLibrary, guardPolicy, homeOf, launchArgv, replyError, scrubEnv } from "../../gate/index.js";
import { prepareSeccompLaunch, type SeccompLaunch } from "../../seccomp/index.js";
import { configFrom } from "../load-config.js";
import { readFileSync } from "node:fs";

interface ExecOptions {
  config?: string;
  user?: string;
  name?: string;
  policy?: string;
  keepEnv: string[];
  register: boolean;
  seccomp?: string;
  pub?: string;
}

function passwdEntry(user: string): { uid: number; gid: number; home: string; shell: string } {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const f = line.split(":");
    if (f[0] === user && f.length >= 7) return { uid: Number(f[2]), gid: Number(f[3]), home: f[5]!, shell: f[6]! };
  }
  throw new UserError(`--user: no user ${user} in /etc/passwd`);
}

export function registerExec(program: Command): void {
  program
    .command("exec")
    .description("run an agent under the preload guard: scrubbed environment, LD_PRELOAD set, its process tree registered with the daemon")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("-u, --user <name>", "run the agent as this user (needs root; keeps the user's groups)")
    .option("-n, --name <agent>", "the agent's name in alerts (default: the command's base name)")
    .option("--policy <file>", "preload policy JSON (default: preload.policy_file, else the shipped policies/preload-policy.json)")
    .option("-e, --keep-env <name>", "also keep this environment variable (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--no-register", "do not register with the daemon (the agent still runs guarded; the daemon will not know its tree)")
    .option("--seccomp <whitelist>", "also run the agent under this seccomp whitelist (clawav seccomp exec)")
    .option("--pub <file>", "with --seccomp: require the whitelist to be signed by this Ed25519 public key")
    .argument("<command...>", "the agent's command and arguments (after --)")
    .addHelpText("after", "\nExit status: the agent's own (128+N when killed by signal N).\nExample: clawav exec --user agent -- openclaw gateway")
    .action(async (command: string[], opts: ExecOptions) => {
      const config = configFrom(opts.config);
      const lib = guardLibrary(config);
      const name = opts.name ?? basename(command[0]!);
      if (!/^[\w.@:+-]{1,64}$/.test(name)) throw new UserError(`--name: "${name}" is not a valid agent name (letters, digits, . _ @ : + -)`);
      const env = scrubEnv(process.env, opts.keepEnv);
      let prefix: string[] = [];
      let uid = process.getuid?.() ?? 0;
      if (opts.user !== undefined) {
        if (process.getuid?.() !== 0) throw new UserError("--user needs root");
        const pw = passwdEntry(opts.user);
        uid = pw.uid;
        Object.assign(env, { HOME: pw.home, USER: opts.user, LOGNAME: opts.user, SHELL: pw.shell });
        prefix = ["setpriv", `--reuid=${pw.uid}`, `--regid=${pw.gid}`, "--init-groups", "--"];
      }
      // "~" in the policy is the agent's home, as the guard looks it up in the agent's processes.
      const policy = guardPolicy(config, opts.policy, () => homeOf(uid));
      env.LD_PRELOAD = lib;
      env.CLAWAV_PRELOAD_POLICY = policy;
      let seccomp: SeccompLaunch | undefined;
      if (opts.seccomp !== undefined) seccomp = prepareSeccompLaunch(opts.seccomp, opts.pub ?? config.seccomp.public_key);
      const endpoint = opts.register ? daemonEndpoint(config) : undefined;
      if (endpoint && !endpoint.ok) {
        seccomp?.cleanup();
        throw new UserError(`cannot register the agent with the daemon: ${endpoint.reason} (or pass --no-register)`);
      }
      const argv = [...prefix, ...launchArgv([...(seccomp?.prefix ?? []), ...command])];
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ["inherit", "inherit", "inherit", "pipe"], env });
      const go = child.stdio[3] as NodeJS.WritableStream | null;
      const exited = new Promise<number>((resolve) => {
        child.on("error", (e) => {
          process.stderr.write(`clawav: cannot start ${argv[0]!}: ${e.message}\n`);
          resolve(127);
        });
        child.on("exit", (c, sig) => resolve(c ?? 128 + (sig ? constants.signals[sig] : 0)));
      });
      for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, () => child.kill(s));
      if (endpoint?.ok && child.pid !== undefined) {
        try {
          const r = await callDaemon(endpoint.endpoint, "POST", "/api/gate/agents", { pid: child.pid, name, uid });
          if (r.status !== 200) throw new Error(replyError(r));
        } catch (e) {
          // Not registered means not watched as this agent: it does not start.
          child.kill("SIGKILL");
          await exited;
          seccomp?.cleanup();
          throw new UserError(`cannot register the agent with the daemon (${describeFailure(e)}): not started`);
        }
      }
      go?.end("go\n");
      const code = await exited;
      seccomp?.cleanup();
      process.exitCode = code;
    });
}
