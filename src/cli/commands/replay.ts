import type { Command } from "commander";
import { hostname } from "node:os";
import { EventIdGenerator, parseEventLine, type Alert, type AlertSink, type Event } from "../../events/index.js";
import { createAuditAssembler } from "../../sources/auditd/index.js";
import { createWatchedUsers, noUserNames, systemUserNames } from "../../enrich/index.js";
import { createDetector } from "../../detect/index.js";
import { createGateEngine } from "../../gate/index.js";
import { buildPipeline, SINKS } from "../../daemon/index.js";
import type { Config } from "../../config/index.js";
import { applyTelemetryFlags } from "../telemetry-flags.js";
import { createLogger } from "../../log/index.js";
import { forEachLine } from "../line-reader.js";
import { StdoutBuffer } from "../output.js";
import { configFrom } from "../load-config.js";

interface ReplayOpts {
  config?: string;
  all?: boolean;
  host?: boolean;
  outputs?: boolean;
  nodeId?: string;
  telemetry?: string;
  telemetryEndpoint?: string;
}

export function registerReplay(program: Command): void {
  program
    .command("replay")
    .description("run recorded events through the daemon's own pipeline; alerts as NDJSON on stdout")
    .argument("<file>", "an audit.log, or events as NDJSON (from `clawav run --events` or `parse-audit`); - for stdin")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--all", "print every alert the chain would record, repeats included (default: each distinct detection once per window)")
    .option("--host", "take facts from this machine (/proc, passwd, executables' content, resolved names), as the live daemon does")
    .option("--outputs", "also send to the config's outputs beyond the host ([telemetry], [otel], [siem]; never the alert channels), as the live daemon would")
    .option("--telemetry <format>", "stream the events and alerts: json or grpc (implies --outputs for the stream)")
    .option("--telemetry-endpoint <url>", "where the stream goes (overrides telemetry.endpoint)")
    .option("--node-id <id>", "node id in events and alerts (default: general.node_id, else hostname)")
    .addHelpText(
      "after",
      "\nTime is the records' own: dedupe windows, rate limits and trust give the answers the live daemon gave." +
        "\nWithout --host, only what the input carries is known: replaying the events a live daemon printed with" +
        "\n`--events` gives exactly its alerts, on any machine. Nothing is ever killed or frozen." +
        "\nA summary goes to stderr; exit 1 when any line could not be parsed.",
    )
    .action(async (file: string, opts: ReplayOpts) => {
      process.exitCode = await replay(file, opts);
    });
}

async function replay(file: string, opts: ReplayOpts): Promise<number> {
  const config = configFrom(opts.config);
  if (opts.nodeId !== undefined) config.general.node_id = opts.nodeId;
  const nodeId = config.general.node_id ?? hostname();
  const outputs = await replayOutputs(config, opts, nodeId);
  const users = opts.host ? systemUserNames() : noUserNames;
  const watched = createWatchedUsers(config, process.getuid?.() ?? -1, (n) => users.uid(n));
  const detector = createDetector({ config });
  const gate = createGateEngine(() => config.general.policy_version);
  const out = new StdoutBuffer();
  let pending: Promise<void> | undefined;
  let printed = 0;
  const emit = (a: Alert): void => {
    printed++;
    const p = out.line(JSON.stringify(a));
    if (p) pending = p;
  };
  const sink: AlertSink = { name: "stdout", accept: (n) => (opts.all || n.fresh ? emit(n.alert) : undefined) };
  const ids = new EventIdGenerator();
  const { pipeline } = buildPipeline({ config, nodeId, watched, factsFrom: opts.host ? "host" : "records", users, engines: () => [detector, gate], sinks: [sink, ...outputs], nextId: () => ids.take() });
  const asm = createAuditAssembler({ nodeId, ids, recordClock: true, eoeTimeoutMs: config.auditd.eoe_timeout_ms });
  let format: "audit" | "events" | undefined;
  let lineNo = 0;
  let eventLines = 0;
  const errors: { line: number; reason: string }[] = [];
  let errorCount = 0;
  const handle = (e: Event) => pipeline.handle(e);
  await forEachLine(file, (line) => {
    lineNo++;
    if (typeof line !== "string") {
      // Longer than any record or event line: counted, never held whole.
      if (format === "audit" || format === undefined) for (const e of asm.push(line, 0)) handle(e);
      else {
        errorCount++;
        if (errors.length < 10) errors.push({ line: lineNo, reason: `line of ${line.bytes} bytes is too long` });
      }
      return;
    }
    if (format === undefined) {
      if (line.trim() === "") return;
      format = line.trimStart().startsWith("{") ? "events" : "audit";
    }
    if (format === "audit") {
      for (const e of asm.push(line, 0)) handle(e);
      return;
    }
    if (line.trim() === "") return;
    const r = parseEventLine(line);
    if ("event" in r) {
      eventLines++;
      handle(r.event);
    } else if ("error" in r) {
      errorCount++;
      if (errors.length < 10) errors.push({ line: lineNo, reason: r.error });
    }
  });
  if (pending) await pending;
  for (const e of asm.end()) handle(e);
  await out.flush();
  // What the outputs still hold is sent before the summary: a replay's stream is complete or says what it lost.
  for (const o of outputs) await o.close?.(60_000);
  const s = pipeline.stats;
  const parseErrors = format === "events" ? errorCount : asm.stats.parseErrors;
  process.stderr.write(
    `replay: ${lineNo} lines (${format === "events" ? `${eventLines} recorded events` : "audit log"}), ${s.events} events (${s.judged} judged, ${s.ignored_unwatched} of unwatched users), ${s.alerts} alerts, ${s.fresh} distinct within the window, ${printed} printed, ${parseErrors} parse errors\n`,
  );
  const shown = format === "events" ? errors.map((e) => `  ${file}:${e.line}: ${e.reason}`) : asm.errors.slice(0, 10).map((e) => `  ${file}:${e.line}: ${e.reason}: ${e.excerpt}`);
  for (const o of outputs) process.stderr.write(`  output ${o.name}: ${Object.entries(o.status?.() ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")}\n`);
  const cpu = process.cpuUsage();
  process.stderr.write(`  cost: cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, peak rss ${Math.round(process.resourceUsage().maxRSS / 1024)} MB\n`);
  for (const l of shown) process.stderr.write(l + "\n");
  if (parseErrors > shown.length) process.stderr.write(`  ... and ${parseErrors - shown.length} more\n`);
  return parseErrors > 0 ? 1 : 0;
}

/** The sinks beyond the host a replay may feed: telemetry, OpenTelemetry, SIEM (never the alert channels). */
async function replayOutputs(config: Config, opts: ReplayOpts, nodeId: string): Promise<AlertSink[]> {
  applyTelemetryFlags(config, opts, ["json", "grpc"]);
  if (!opts.outputs && opts.telemetry === undefined) return [];
  if (!opts.outputs) {
    config.otel.enabled = false;
    config.siem.enabled = false;
  }
  const log = createLogger(config.general.log_level, undefined, "json");
  // No metrics source: a replay has no daemon figures to export.
  const ctx = { config, log, nodeId, policyVersion: () => config.general.policy_version };
  const made: AlertSink[] = [];
  for (const s of SINKS) {
    if (s.section === "alerts") continue;
    const sink = await s.create(ctx);
    if (sink) made.push(sink);
  }
  return made;
}
