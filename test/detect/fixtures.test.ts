// The detector over events recorded from the real auditd (test/fixtures/audit/), through the
// real assembler and normalizer: the shapes the daemon will hand it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventIdGenerator, type Event } from "../../src/events/index.js";
import { createAuditAssembler } from "../../src/sources/auditd/index.js";
import { detector } from "./events.js";

const dir = join(process.cwd(), "test", "fixtures", "audit");
function events(name: string): Event[] {
  const asm = createAuditAssembler({ nodeId: "t", ids: new EventIdGenerator(), recordClock: true });
  const out: Event[] = [];
  for (const line of readFileSync(join(dir, name), "utf8").split("\n")) if (line) out.push(...asm.push(line, 0));
  out.push(...asm.end());
  return out.filter((e) => e.process);
}

describe.skipIf(!existsSync(join(dir, "shell-pipeline.log")))("recorded auditd events", () => {
  const d = detector();
  const fired = (name: string) => events(name).flatMap((e) => d.evaluate(e).map((a) => `${e.kind}:${a.severity}:${a.rule}`));
  it("a recorded `echo … | base64 -d | sh` is critical decode-exec", () => expect(fired("shell-pipeline.log")).toContain("exec:critical:code.decode-exec"));
  it("recorded python -c socket connects (IPv4 and IPv6 loopback) are judged on the connect too", () => {
    const f = fired("connect-inet.log");
    expect(f.filter((x) => x === "net:warning:net.inline-code-connect")).toHaveLength(2);
    expect(f).toContain("exec:warning:code.socket");
  });
  it("ordinary recorded commands (id, true, touch, grep) raise nothing above info", () => {
    for (const n of ["exec-enriched.log", "exec-long-arg.log", "exec-many-args.log", "file-nonutf8.log", "exec-quoting.log"]) {
      if (!existsSync(join(dir, n))) continue;
      expect(fired(n).filter((x) => !x.includes(":info:")), n).toEqual([]);
    }
  });
});
