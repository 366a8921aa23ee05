import type { Command } from "commander";
import { hostname } from "node:os";
import { EventIdGenerator, type Event } from "../../events/index.js";
import { createAuditAssembler } from "../../sources/auditd/index.js";
import { systemUserNames, userNamesEnricher } from "../../enrich/index.js";
import { forEachLine } from "../line-reader.js";
import { StdoutBuffer } from "../output.js";

export function registerParseAudit(program: Command): void {
  program
    .command("parse-audit")
    .description("parse an audit.log into normalized events, one JSON object per line (NDJSON)")
    .argument("[file]", "audit log to read, or - for stdin", "-")
    .option("--raw", "include the assembled audit records of each event")
    .option("--node-id <id>", "node_id to put in events (default: hostname)")
    .addHelpText("after", "\nA summary (lines, records, events, parse errors) goes to stderr; exit 1 when any line could not be parsed.")
    .action(async (file: string, opts: { raw?: boolean; nodeId?: string }) => {
      process.exitCode = await parseAudit(file, opts);
    });
}

async function parseAudit(file: string, opts: { raw?: boolean; nodeId?: string }): Promise<number> {
  const asm = createAuditAssembler({
    nodeId: opts.nodeId ?? hostname(),
    ids: new EventIdGenerator(),
    keepRaw: opts.raw === true,
    recordClock: true,
  });
  const out = new StdoutBuffer();
  const tty = process.stderr.isTTY;
  let lastProgress = Date.now();
  let pending: Promise<void> | undefined;
  // Names for uids the records did not translate (RAW logs) come from this machine's passwd.
  const names = userNamesEnricher(systemUserNames());
  const write = (events: Event[]): void => {
    for (const e of events) {
      names.enrich(e);
      const p = out.line(JSON.stringify(e));
      if (p) pending = p;
    }
  };
  await forEachLine(
    file,
    (line) => write(asm.push(line, 0)),
    tty
      ? (bytes) => {
          const now = Date.now();
          if (now - lastProgress < 500) return;
          lastProgress = now;
          process.stderr.write(`\rparse-audit: ${(bytes / 1048576).toFixed(1)} MiB, ${asm.stats.lines} lines, ${asm.stats.events} events`);
        }
      : undefined,
  );
  if (pending) await pending;
  write(asm.end());
  await out.flush();
  const s = asm.stats;
  if (tty) process.stderr.write("\r\x1b[K");
  process.stderr.write(`parse-audit: ${s.lines} lines, ${s.records} records, ${s.events} events, ${s.parseErrors} parse errors, ${s.forcedFlushes} events flushed by timeout or at end\n`);
  for (const e of asm.errors.slice(0, 10)) process.stderr.write(`  ${file}:${e.line}: ${e.reason}: ${e.excerpt}\n`);
  if (asm.errors.length > 10) process.stderr.write(`  ... and ${s.parseErrors - 10} more\n`);
  return s.parseErrors > 0 ? 1 : 0;
}
