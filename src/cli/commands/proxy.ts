import type { Command } from "commander";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { hostname, userInfo } from "node:os";
import { externalAlert } from "../../detect/index.js";
import { systemUserNames } from "../../enrich/index.js";
import { EXIT, UserError } from "../../errors/index.js";
import { EventIdGenerator } from "../../events/index.js";
import { replaceFile } from "../../install/index.js";
import { createLogger } from "../../log/index.js";
import { buildProxy, findingEvent, formatKeys, hashKey, loadKeyRing, newVirtualKey, type VirtualKey } from "../../proxy/index.js";
import { ruleContextFor } from "../../sources/auditd/index.js";
import { configFrom } from "../load-config.js";

interface RunOpts {
  config?: string;
  port?: string;
  bind?: string;
  socket?: string;
  keysFile?: string;
  caFile?: string;
}

function intOpt(v: string | undefined, what: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new UserError(`${what}: "${v}" is not a whole number from 0 to ${max}`, EXIT.USAGE);
  return n;
}

function keysFileOf(o: { config?: string; keysFile?: string }): string {
  return o.keysFile ?? configFrom(o.config).proxy.keys_file;
}

function writeKeys(file: string, keys: VirtualKey[]): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  replaceFile(file, formatKeys(keys), 0o600);
  chmodSync(file, 0o600);
}

function uidOf(user: string): number {
  if (/^\d+$/.test(user)) return Number(user);
  const uid = systemUserNames().uid(user);
  if (uid === undefined) throw new UserError(`--user: no such user "${user}"`, EXIT.USAGE);
  return uid;
}

export function registerProxy(program: Command): void {
  const p = program
    .command("proxy")
    .description("the LLM API proxy alone (the daemon runs it with [proxy] enabled = true): the agent holds a virtual key, the proxy swaps in the real one and checks every request (DLP, tool results, limits)")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--port <port>", "TCP port on loopback (overrides proxy.port; 0 picks a free one)")
    .option("--bind <addr>", "127.0.0.1, ::1 or localhost (overrides proxy.bind)")
    .option("--socket <path>", "also listen on this unix socket (overrides proxy.socket)")
    .option("--keys-file <file>", "the virtual keys (overrides proxy.keys_file)")
    .option("--ca-file <file>", "PEM bundle trusted for the upstreams besides the system's (overrides proxy.ca_file)")
    .addHelpText("after", "\nFindings print as NDJSON alerts on stdout; logs go to stderr. Point the agent's SDK at it:\n  ANTHROPIC_BASE_URL=http://127.0.0.1:18792  ANTHROPIC_API_KEY=clawav-vk-...\n  OPENAI_BASE_URL=http://127.0.0.1:18792/v1  OPENAI_API_KEY=clawav-vk-...\nSIGTERM or Ctrl-C: stop.")
    .action(async (o: RunOpts) => {
      const config = configFrom(o.config);
      const port = intOpt(o.port, "--port", 65535);
      if (port !== undefined) config.proxy.port = port;
      if (o.bind !== undefined) {
        if (!["127.0.0.1", "::1", "localhost"].includes(o.bind)) throw new UserError(`--bind: "${o.bind}" is not loopback (127.0.0.1, ::1 or localhost): the proxy holds real keys`, EXIT.USAGE);
        config.proxy.bind = o.bind as "127.0.0.1" | "::1" | "localhost";
      }
      if (o.socket !== undefined) config.proxy.socket = o.socket;
      if (o.keysFile !== undefined) config.proxy.keys_file = o.keysFile;
      if (o.caFile !== undefined) config.proxy.ca_file = o.caFile;
      if (config.proxy.ca_file !== undefined && !existsSync(config.proxy.ca_file)) throw new UserError(`proxy.ca_file: ${config.proxy.ca_file} does not exist`, EXIT.NOINPUT);
      const log = createLogger(config.general.log_level, undefined, "json");
      const ids = new EventIdGenerator();
      const nodeId = config.general.node_id ?? hostname();
      const proxy = buildProxy(config, ruleContextFor(config).homes, log, (f) => {
        for (const a of externalAlert(findingEvent(f, ids, nodeId), config.general.policy_version)) process.stdout.write(`${JSON.stringify({ type: "alert", alert: a })}\n`);
      });
      await proxy.start();
      await new Promise<void>((resolve) => {
        const stop = () => void proxy.stop().then(resolve);
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
    });

  const keys = p.command("keys").description("the virtual keys (root's keys file, 0600): add, list, revoke");
  // --config and --keys-file are the proxy command's own options, given before or after these.
  const withGlobals = <T>(cmd: Command): T => cmd.optsWithGlobals<T & object>();
  keys
      .command("add")
      .description("make a virtual key for an agent and print it once (the file keeps only its sha256)")
      .requiredOption("--id <id>", "a name for the key (list, revoke and alerts use it)")
      .requiredOption("--upstream <name>", "the upstream it reaches (proxy.upstreams: anthropic, openai, ...)")
      .option("--user <user>", "bind it to this agent user (name or uid): any other uid is refused and alerted")
      .option("--real-key-env <var>", "the real key is in this environment variable of the daemon (systemd EnvironmentFile)")
      .option("--real-key-stdin", "read the real key from standard input (never put it in argv: other users see argv)")
      .option("--rpm <n>", "requests per minute (0: no limit)", "0")
      .option("--tokens-per-day <n>", "input plus output tokens per UTC day (0: no limit)", "0")
      .option("--model <glob...>", "models it may ask for (* matches any run of characters); default any")
  .action((_o: unknown, cmd: Command) => {
    const o = withGlobals<{ id: string; upstream: string; user?: string; realKeyEnv?: string; realKeyStdin?: boolean; rpm: string; tokensPerDay: string; model?: string[]; config?: string; keysFile?: string }>(cmd);
    if ((o.realKeyEnv === undefined) === (o.realKeyStdin !== true)) throw new UserError("give exactly one of --real-key-env VAR and --real-key-stdin", EXIT.USAGE);
    const cfg = configFrom(o.config);
    if (!cfg.proxy.upstreams.some((u) => u.name === o.upstream)) throw new UserError(`--upstream: "${o.upstream}" is not in proxy.upstreams (${cfg.proxy.upstreams.map((u) => u.name).join(", ")})`, EXIT.USAGE);
    const path = o.keysFile ?? cfg.proxy.keys_file;
    const ring = loadKeyRing(path);
    if (ring.keys.some((k) => k.id === o.id)) throw new UserError(`${path}: a key "${o.id}" exists already (revoke it, or choose another --id)`, EXIT.USAGE);
    let real: string | undefined;
    if (o.realKeyStdin) {
      real = readFileSync(0, "utf8").trim();
      if (real === "") throw new UserError("--real-key-stdin: standard input was empty", EXIT.USAGE);
    }
    const vk = newVirtualKey();
    const k: VirtualKey = {
      id: o.id,
      hash: hashKey(vk),
      upstream: o.upstream,
      ...(o.user !== undefined ? { uid: uidOf(o.user) } : {}),
      ...(real !== undefined ? { real_key: real } : { real_key_env: o.realKeyEnv! }),
      revoked: false,
      rpm: intOpt(o.rpm, "--rpm")!,
      tokens_per_day: intOpt(o.tokensPerDay, "--tokens-per-day")!,
      models: o.model ?? [],
      created: new Date().toISOString(),
    };
    writeKeys(path, [...ring.keys, k]);
    process.stderr.write(`clawav: key ${o.id} added to ${path}; give the agent this virtual key (it is not kept anywhere):\n`);
    process.stdout.write(`${vk}\n`);
  });
  keys.command("list").description("the keys: id, upstream, bound uid, limits, revoked (never a key)").option("--json", "as JSON").action((_o: unknown, cmd: Command) => {
    const o = withGlobals<{ json?: boolean; config?: string; keysFile?: string }>(cmd);
    const ring = loadKeyRing(keysFileOf(o));
    const rows = ring.keys.map((k) => ({ id: k.id, upstream: k.upstream, uid: k.uid ?? null, real_key: k.real_key !== undefined ? "in the keys file" : `env ${k.real_key_env}`, revoked: k.revoked, rpm: k.rpm, tokens_per_day: k.tokens_per_day, models: k.models, created: k.created ?? null }));
    if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else {
      if (rows.length === 0) process.stdout.write(`no keys in ${ring.file} (clawav proxy keys add)\n`);
      for (const r of rows) process.stdout.write(`${r.id.padEnd(24)} ${r.upstream.padEnd(10)} uid ${String(r.uid ?? "any").padEnd(6)} ${r.revoked ? "REVOKED " : ""}rpm ${r.rpm || "-"} tokens/day ${r.tokens_per_day || "-"} models ${r.models.join(",") || "any"} (${r.real_key})\n`);
    }
  });
  keys.command("revoke").description("revoke a key: its next request is refused and alerted (the proxy rereads the file within a second)").argument("<id>", "the key's id").action((id: string, _o: unknown, cmd: Command) => {
    const o = withGlobals<{ config?: string; keysFile?: string }>(cmd);
    const path = keysFileOf(o);
    const ring = loadKeyRing(path);
    const k = ring.keys.find((x) => x.id === id);
    if (!k) throw new UserError(`${path}: no key "${id}" (clawav proxy keys list)`, EXIT.USAGE);
    writeKeys(
      path,
      ring.keys.map((x) => (x.id === id ? { ...x, revoked: true } : x)),
    );
    process.stdout.write(`key ${id} revoked (by ${userInfo().username})\n`);
  });
}
