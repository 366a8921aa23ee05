import type { Command } from "commander";
import { hostname } from "node:os";
import { EventIdGenerator, type Alert } from "../../events/index.js";
import { createAuditAssembler } from "../../sources/auditd/index.js";
import { systemUserNames } from "../../enrich/index.js";
import { createWatchedUsers } from "../../enrich/index.js";
import { createDetector } from "../../detect/index.js";
import { Aggregator, buildPipeline } from "../../pipeline/index.js";
import { forEachLine } from "../line-reader.js";
import { Enforcer } from "../../enforce/index.js";
import { StdoutBuffer } from "../output.js";
import { configFrom } from "../load-config.js";

export function registerReplay(program: Command): void {
  program
    .command("replay")
    .description("run a recorded audit.log through the daemon's own pipeline; alerts as NDJSON on stdout")
    .argument("<file>", "audit log to replay, or - for stdin")
    .option("-c, --config <file>", "config file (default: built-in defaults)")
    .option("--all", "print every alert, before dedupe and rate limiting (what the audit chain records)")
    .addHelpText("after", "\nTime is the records' own: dedupe windows and rate limits give the answers the live daemon gave.\nA summary goes to stderr; exit 1 when any line could not be parsed.")
    .action(async (file: string, opts: { config?: string; all?: boolean }) => {
      process.exitCode = await replay(file, opts);
    });
}

async function replay(file: string, opts: { config?: string; all?: boolean }): Promise<number> {
  const config = configFrom(opts.config);
  const nodeId = config.general.node_id ?? hostname();
  const users = systemUserNames();
  const watched = createWatchedUsers(config, process.getuid?.() ?? -1, (n) => users.uid(n));
  const detector = createDetector({ config });
  const out = new StdoutBuffer();
  let pending: Promise<void> | undefined;
  let recorded = 0;
  const emit = (a: Alert): void => {
    const p = out.line(JSON.stringify(a));
    if (p) pending = p;
  };
  const { pipeline } = buildPipeline({
    config,
    nodeId,
    users,
    watched,
    live: false,
    engines: () => [detector],
    deliver: opts.all ? () => {} : emit,
    gate: new Aggregator(),
    // Replay never touches this machine's processes: kill rules are judged as in monitor mode.
    mitigator: new Enforcer("monitor", { protectedPids: new Set(), watched: () => false }),
    record: (a) => {
      recorded++;
      if (opts.all) emit(a);
    },
  });
  const asm = createAuditAssembler({ nodeId, ids: new EventIdGenerator(), users, recordClock: true, eoeTimeoutMs: config.auditd.eoe_timeout_ms });
  await forEachLine(file, (line) => {
    for (const e of asm.push(line, 0)) pipeline.handle(e);
  });
  if (pending) await pending;
  for (const e of asm.end()) pipeline.handle(e);
  await out.flush();
  const s = pipeline.stats;
  process.stderr.write(`replay: ${asm.stats.lines} lines, ${s.events} events (${s.judged} judged, ${s.ignored_unwatched} of unwatched users), ${recorded} alerts, ${s.admitted} after dedupe and rate limits, ${asm.stats.parseErrors} parse errors\n`);
  for (const e of asm.errors.slice(0, 10)) process.stderr.write(`  ${file}:${e.line}: ${e.reason}: ${e.excerpt}\n`);
  return asm.stats.parseErrors > 0 ? 1 : 0;
}
