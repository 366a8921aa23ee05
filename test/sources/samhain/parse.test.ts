// Samhain's log as the real samhain 4.1.4 (Debian) wrote it here: an init and a check of a tree
// where one file changed, one was removed and one added (test/fixtures/samhain/check.log).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Event } from "../../../src/events/index.js";
import { parseSamhainLine } from "../../../src/sources/samhain/index.js";

const LOG = readFileSync(new URL("../../fixtures/samhain/check.log", import.meta.url), "utf8").split("\n");
let n = 0;
const ctx = { id: () => (++n).toString(16).padStart(16, "0"), nodeId: "n", now: 0 };

describe("parseSamhainLine on a recorded log", () => {
  const results = LOG.filter((l) => l.trim() !== "").map((l) => parseSamhainLine(l, ctx));
  const events = results.flatMap((r) => ("ok" in r && r.ok ? [r.event] : []));

  it("every line is a finding, a stop, or skipped: none is an error", () => {
    expect(results.filter((r) => "ok" in r && !r.ok)).toEqual([]);
    expect(results.filter((r) => "skip" in r).length).toBeGreaterThan(100);
  });

  it("the changed, the added and the missing file: one finding each, with the path and what changed", () => {
    const files = events.filter((e): e is Event & { file: NonNullable<Event["file"]> } => e.kind === "external" && e.file?.path.startsWith("/tmp/shtest/") === true);
    expect(files.map((e) => [e.file.path, e.external!.rule, e.external!.output])).toEqual([
      ["/tmp/shtest/f3", "policy ADDED", "/tmp/shtest/f3: added"],
      ["/tmp/shtest/f1", "policy ReadOnly", "/tmp/shtest/f1: checksum, timestamps, size changed (size 2 -> 8)"],
      ["/tmp/shtest/f2", "policy MISSING", "/tmp/shtest/f2: missing"],
    ]);
    expect(files.every((e) => e.external!.severity === "critical" && e.external!.priority === "CRIT")).toBe(true);
    expect(files[0]!.ts).toBe(Date.parse("2026-12-04T03:49:34Z"));
    expect(files[1]!.external!.fields!.chksum_old).toMatch(/^[0-9A-F]{48}$/);
  });

  it("samhain's exit is a sensor event; its start and file check marks are not findings", () => {
    expect(events.filter((e) => e.sensor?.condition === "samhain_stopped")).toHaveLength(2);
    expect(events.filter((e) => e.kind === "external").map((e) => e.external!.rule)).toEqual(["policy ServiceNew", "policy ReadOnly", "policy ADDED", "policy ReadOnly", "policy MISSING", "policy ServiceNew"]);
  });

  it("a line that is not Samhain's is an error with the reason", () => {
    expect(parseSamhainLine("hello world", ctx)).toEqual({ ok: false, error: "not a Samhain log line (SEVERITY :  [time] msg=<...>)" });
    expect(parseSamhainLine("CRIT   :  [2026-12-04T03:49:34+0000] path=</x>", ctx)).toEqual({ ok: false, error: "no msg=<...> in a Samhain log line" });
  });
});
