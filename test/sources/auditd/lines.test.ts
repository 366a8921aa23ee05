import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LineSplitter, MAX_LINE_BYTES, type Line } from "../../../src/sources/auditd/lines.js";
import { parseLines } from "./fixtures.js";

function feed(chunks: Buffer[], max?: number): { lines: Line[]; peak: number } {
  const s = new LineSplitter(max);
  const lines: Line[] = [];
  let peak = 0;
  for (const c of chunks) {
    s.push(c, lines);
    peak = Math.max(peak, s.heldBytes);
  }
  s.end(lines);
  return { lines, peak };
}

describe("line splitter", () => {
  it("never holds more than 512 KiB of a line without a newline, and reports its length and head", () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const chunks = Array.from({ length: 48 }, () => chunk); // 3 MiB, no newline
    const { lines, peak } = feed([...chunks, Buffer.from("\ntype=next\n")]);
    expect(peak).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(lines).toEqual([{ long: true, bytes: 3 * 1024 * 1024, head: "a".repeat(200) }, "type=next"]);
  });

  it("cuts a long line inside one chunk the same way, and keeps its neighbours whole", () => {
    const big = Buffer.concat([Buffer.from("before\n"), Buffer.alloc(MAX_LINE_BYTES + 1, 0x62), Buffer.from("\nafter\ntail")]);
    expect(feed([big]).lines).toEqual(["before", { long: true, bytes: MAX_LINE_BYTES + 1, head: "b".repeat(200) }, "after", "tail"]);
    // Exactly at the limit is still a line.
    const edge = Buffer.concat([Buffer.alloc(MAX_LINE_BYTES, 0x63), Buffer.from("\n")]);
    expect(feed([edge]).lines).toEqual(["c".repeat(MAX_LINE_BYTES)]);
  });

  it("keeps bytes that are not UTF-8 as \\xNN and a UTF-8 character split across chunks whole", () => {
    const bad = Buffer.from([0x61, 0xff, 0x62, 0x5c, 0x0a]);
    const e = Buffer.from("caf\u00e9\n");
    const { lines } = feed([bad, e.subarray(0, 4), e.subarray(4)]);
    expect(lines).toEqual(["a\\xffb\\\\", "caf\u00e9"]);
  });

  it("gives the same lines however the bytes are chunked (property)", () => {
    const line = fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, " "));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }), (ls, cuts) => {
        const all = Buffer.from(ls.map((l) => l + "\n").join(""), "utf8");
        const chunks: Buffer[] = [];
        for (let at = 0, i = 0; at < all.length; i++) {
          const n = cuts[i % cuts.length]!;
          chunks.push(all.subarray(at, at + n));
          at += n;
        }
        expect(feed(chunks).lines).toEqual(ls.map((l) => Buffer.from(l, "utf8").toString("utf8")));
      }),
      { numRuns: 500 },
    );
  });
});

describe("a SYSCALL record cut short", () => {
  it("leaves the fields it lost absent instead of -1 or an empty string", () => {
    const { events } = parseLines([
      "type=SYSCALL msg=audit(1795408503.332:359): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=7429",
      "type=PROCTITLE msg=audit(1795408503.332:359): proctitle=6C73",
    ]);
    expect(events).toHaveLength(1);
    const p = events[0]!.process!;
    expect(p.ppid).toBe(7429);
    for (const k of ["pid", "uid", "euid", "exe", "comm"] as const) expect(p, k).not.toHaveProperty(k);
    expect(JSON.stringify(p)).not.toMatch(/-1|""/);
  });
});
