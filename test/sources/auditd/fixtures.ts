import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../../src/version.js";
import { EventIdGenerator, type Event } from "../../../src/events/index.js";
import { createAuditAssembler, type AssemblerOptions } from "../../../src/sources/auditd/index.js";

export function fixtureLines(name: string): string[] {
  return readFileSync(join(PACKAGE_ROOT, "test", "fixtures", "audit", `${name}.log`), "utf8").split("\n").filter((l) => l !== "");
}

/** Parses lines the way parse-audit does (record clock, flush at end). */
export function parseLines(lines: readonly string[], opts: Partial<AssemblerOptions> = {}) {
  const asm = createAuditAssembler({ nodeId: "test", ids: new EventIdGenerator(), recordClock: true, ...opts });
  const events: Event[] = [];
  for (const l of lines) events.push(...asm.push(l, 0));
  events.push(...asm.end());
  return { events, asm };
}

export function parseFixture(name: string, opts: Partial<AssemblerOptions> = {}) {
  return parseLines(fixtureLines(name), opts);
}

/** The successful execve of the test user's program (the one with an EXECVE record). */
export function execOf(events: Event[], exe: string): Event {
  const e = events.find((x) => x.kind === "exec" && x.syscall?.success === true && x.process?.exe === exe && x.record_types?.includes("EXECVE"));
  if (!e) throw new Error(`no successful exec of ${exe} in ${events.map((x) => x.process?.exe).join(", ")}`);
  return e;
}
