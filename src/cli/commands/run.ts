import type { Command } from "commander";
import { Daemon } from "../../daemon/index.js";
import { createLogger } from "../../log/index.js";
import type { Alert, AlertSink, Event } from "../../events/index.js";
import { configFrom, DEFAULT_CONFIG_PATH } from "../load-config.js";
import { existsSync } from "node:fs";
import { EXIT, UserError } from "../../errors/index.js";
import { applyAlertSettings } from "../../alerts/index.js";
import { withDotEnv, type Config } from "../../config/index.js";
import { join } from "node:path";
import { activeProfiles } from "../../profiles/index.js";
import { applyTelemetryFlags } from "../telemetry-flags.js";

interface RunOpts {
  config?: string;
  headless?: boolean;
  events?: boolean;
  mode?: string;
  stateDir?: string;
  auditLog?: string;
  nodeId?: string;
  policyVersion?: string;
  apiPort?: string;
  apiBind?: string;
  alertEnabled?: boolean;
  alertWebhookUrl?: string;
  alertMinSeverity?: string;
  alertDedupeWindow?: string;
  alertRateLimit?: string;
  profile?: string;
  telemetry?: string;
  telemetryEndpoint?: string;
  policyUrl?: string;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run the watchdog (as root for auditd; as another user it falls back to polling /proc)")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--headless", "no console view: JSON logs on stderr, alerts as NDJSON on stdout")
    .option("--events", "also print every event as NDJSON on stdout")
    .option("--mode <mode>", "monitor or enforce (overrides config `mode`)")
    .option("--state-dir <dir>", "where the cursor, chain and keys live (overrides general.state_dir)")
    .option("--audit-log <file>", "audit log to tail (overrides auditd.log_path)")
    .option("--node-id <id>", "node id in events and alerts (default: hostname)")
    .option("--policy-version <tag>", "policy version tag carried by alerts")
    .option("--api-bind <addr>", "API address (overrides api.bind; not loopback → token required everywhere)")
    .option("--api-port <port>", "API port (overrides api.port; 0 picks a free one)")
    .option("--profile <name>", "an agent profile: openclaw, clawbot, moltbot, claude-code or full (overrides [profile] name; clawav profiles list)")
    .option("--alert-enabled", "send alerts to the configured channels (off by default)")
    .option("--alert-webhook-url <url>", "generic JSON webhook for alerts (or CLAWAV_ALERT_WEBHOOK_URL)")
    .option("--alert-min-severity <level>", "info, warning or critical (default warning)")
    .option("--alert-dedupe-window <seconds>", "repeats of one detection (rule, process, target) within this window fold into one (default 60)")
    .option("--alert-rate-limit <n>", "at most this many pushes a minute per channel; critical alerts always go (default 60)")
    .option("--telemetry <format>", "stream events and alerts: json (NDJSON over HTTP) or grpc (proto/clawav/telemetry/v1) (overrides telemetry.format)")
    .option("--telemetry-endpoint <url>", "where the stream goes: an http(s) URL for json, host:port for grpc (overrides telemetry.endpoint)")
    .option("--policy-url <url>", "fetch a signed policy bundle from this https URL, at the start and every policy.refresh_interval_seconds (needs policy.public_key_file)")
    .addHelpText("after", "\nSIGTERM or Ctrl-C: stop, save the cursor, exit 0. SIGHUP: reload policies.")
    .action(async (opts: RunOpts) => {
      process.exitCode = await run(opts);
    });
}

async function run(opts: RunOpts): Promise<number> {
  const config = configFrom(opts.config);
  if (opts.mode !== undefined) {
    if (opts.mode !== "monitor" && opts.mode !== "enforce") throw new UserError(`--mode: "${opts.mode}" is not monitor or enforce`);
    config.mode = opts.mode;
  }
  if (opts.stateDir !== undefined) config.general.state_dir = opts.stateDir;
  if (opts.auditLog !== undefined) config.auditd.log_path = opts.auditLog;
  if (opts.nodeId !== undefined) config.general.node_id = opts.nodeId;
  if (opts.policyVersion !== undefined) config.general.policy_version = opts.policyVersion;
  if (opts.apiBind !== undefined) config.api.bind = opts.apiBind;
  if (opts.profile !== undefined) config.profile.name = opts.profile;
  applyRemoteSettings(config, opts);
  // An unknown or broken profile is the user's to fix before anything starts.
  const profiles = activeProfiles(config);
  if (opts.apiPort !== undefined) {
    const port = Number(opts.apiPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--api-port: "${opts.apiPort}" is not a port number`);
    config.api.port = port;
  }
  const { env, warnings } = withDotEnv(process.env, join(process.cwd(), ".env"));
  applyAlertSettings(config, opts, env);
  // On a terminal (and not --headless) a person reads: plain lines, no JSON.
  const console = !opts.headless && process.stdout.isTTY;
  const log = createLogger(config.general.log_level, undefined, console ? "human" : "json");
  for (const w of warnings) log.warn(w);
  if (profiles.length > 0) log.info("agent profile", { profile: config.profile.name, agents: profiles.map((p) => p.name), rules: profiles.reduce((n, p) => n + p.rules.length, 0) });
  const out = (s: string): void => {
    process.stdout.write(s + "\n");
  };
  const daemon = new Daemon({
    config,
    log,
    configFile: opts.config ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined),
    onEvent: opts.events ? (e) => out(console ? eventLine(e) : JSON.stringify({ type: "event", event: e })) : undefined,
    // Each distinct detection once per dedupe window; repeats are counted in /api/alerts.
    sinks: [{ name: "stdout", accept: (n) => (n.fresh ? out(console ? alertLine(n.alert) : JSON.stringify({ type: "alert", alert: n.alert })) : undefined) } satisfies AlertSink],
  });
  // The handlers come before the start: a SIGTERM while sources catch up would otherwise take
  // the default action and kill the daemon without saving its cursor or closing its chain.
  let started = false;
  let reloadWanted = false;
  let stopped: ((code: number) => void) | undefined;
  let stopSignal: string | undefined;
  const finished = new Promise<number>((resolve) => (stopped = resolve));
  const stopNow = (): void => {
    log.info("stopping", { signal: stopSignal });
    daemon.stop().then(
      () => stopped?.(0),
      (e: unknown) => {
        log.error("error while stopping", { error: String(e) });
        stopped?.(1);
      },
    );
  };
  const stop = (sig: string): void => {
    if (stopSignal !== undefined) return;
    stopSignal = sig;
    if (started) stopNow();
  };
  const onTerm = (): void => stop("SIGTERM");
  const onInt = (): void => stop("SIGINT");
  const onHup = (): void => {
    if (started) daemon.reload();
    else reloadWanted = true;
  };
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  process.on("SIGHUP", onHup);
  await daemon.start();
  started = true;
  if (stopSignal !== undefined) stopNow();
  else if (reloadWanted) daemon.reload();
  if (console) process.stderr.write(statusLine(daemon) + "\n");
  // The sources' timers are unref'd; this interval keeps the daemon alive until it is stopped.
  const keepAlive = setInterval(() => {
    if (console) process.stderr.write(statusLine(daemon) + "\n");
  }, 30_000);
  const code = await finished;
  clearInterval(keepAlive);
  return code;
}

function statusLine(d: Daemon): string {
  const s = d.status();
  return `clawav: ${s.pipeline.events} events, ${s.pipeline.alerts} alerts, queue ${s.queue.length}/${s.queue.capacity} (dropped ${s.queue.dropped}); ${s.sources.map((x) => `${x.name} ${x.state}`).join(", ")}`;
}

function eventLine(e: Event): string {
  const p = e.process;
  const what = e.net ? `${e.net.address ?? e.net.path ?? ""}${e.net.port !== undefined ? `:${e.net.port}` : ""}` : e.file ? e.file.path : (p?.argv.join(" ") ?? "");
  return `${new Date(e.ts).toISOString()} ${e.kind.padEnd(6)} ${p ? `${p.user ?? p.uid} pid ${p.pid} ${p.exe}` : (e.sensor?.detail ?? "")} ${what}`;
}

function alertLine(a: Alert): string {
  return `${new Date(a.ts).toISOString()} ${a.severity.toUpperCase().padEnd(8)} ${a.category} ${a.rule}: ${a.summary} [event ${a.event_id}]`;
}

/** --telemetry and --policy-url: what the config's own checks would have said of the same keys. */
function applyRemoteSettings(config: Config, opts: RunOpts): void {
  applyTelemetryFlags(config, opts, ["json", "grpc", "off"]);
  if (opts.policyUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(opts.policyUrl);
    } catch {
      throw new UserError(`--policy-url: "${opts.policyUrl}" is not a URL`, EXIT.USAGE);
    }
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new UserError(`--policy-url: "${opts.policyUrl}" is not an https:// URL`, EXIT.USAGE);
    config.policy.source = "remote";
    config.policy.url = opts.policyUrl;
  }
  if (config.policy.source === "remote" && config.policy.public_key_file === undefined) throw new UserError("--policy-url needs the bundles' Ed25519 public key: set [policy] public_key_file in the config");
}
