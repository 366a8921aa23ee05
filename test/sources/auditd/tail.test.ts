import { afterEach, describe, expect, it } from "vitest";
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync, openSync, writeSync, closeSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogTailer } from "../../../src/sources/auditd/tail.js";
import { loadCursor, saveCursor, type Cursor } from "../../../src/sources/auditd/cursor.js";
import type { Line } from "../../../src/sources/auditd/lines.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "clawav-tail-"));
  dirs.push(dir);
  const path = join(dir, "audit.log");
  writeFileSync(path, "");
  const got: Line[] = [];
  let last: Cursor | undefined;
  const make = (start: Cursor | "end" | "beginning") =>
    new LogTailer({ path, start, pollMs: 1_000_000, onLines: (l, c) => { got.push(...l); last = c; } });
  return { dir, path, got, make, lastCursor: () => last };
}

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);
const write = (p: string, ls: string[]) => appendFileSync(p, ls.map((l) => l + "\n").join(""));

describe("LogTailer", () => {
  it("starts at the end on a first start and follows appends", () => {
    const t = setup();
    write(t.path, lines(1, 3));
    const tail = t.make("end");
    tail.start();
    write(t.path, lines(4, 5));
    tail.poll();
    tail.stop();
    expect(t.got).toEqual(lines(4, 5));
  });

  it("holds a partial line until its newline comes", () => {
    const t = setup();
    const tail = t.make("beginning");
    tail.start();
    appendFileSync(t.path, "type=SYSCALL half");
    tail.poll();
    expect(t.got).toEqual([]);
    expect(tail.position()!.offset).toBe(0);
    appendFileSync(t.path, " done\n");
    tail.poll();
    tail.stop();
    expect(t.got).toEqual(["type=SYSCALL half done"]);
  });

  it("follows rotation across generations, including a late write to the rotated file", () => {
    const t = setup();
    const tail = t.make("beginning");
    tail.start();
    write(t.path, lines(1, 2));
    tail.poll();
    // auditd's rotation: .1 → .2, audit.log → .1, a new audit.log
    const fd = openSync(t.path, "a");
    renameSync(t.path, `${t.path}.1`);
    writeSync(fd, "line 3\n"); // written by the old descriptor after the rename
    writeFileSync(t.path, "");
    write(t.path, lines(4, 5));
    tail.poll();
    writeSync(fd, "line 3b\n"); // a late write after the tailer already switched
    closeSync(fd);
    tail.poll();
    renameSync(`${t.path}.1`, `${t.path}.2`);
    renameSync(t.path, `${t.path}.1`);
    write(`${t.path}.1`, ["line 6"]);
    writeFileSync(t.path, "line 7\n");
    tail.poll();
    tail.stop();
    expect(t.got).toEqual(["line 1", "line 2", "line 3", "line 4", "line 5", "line 3b", "line 6", "line 7"]);
    expect(tail.stats.rotations).toBe(2);
  });

  it("starts over when the file is truncated", () => {
    const t = setup();
    const tail = t.make("beginning");
    tail.start();
    write(t.path, lines(1, 3));
    tail.poll();
    truncateSync(t.path, 0);
    write(t.path, ["after"]);
    tail.poll();
    tail.stop();
    expect(t.got).toEqual([...lines(1, 3), "after"]);
    expect(tail.stats.truncations).toBe(1);
  });

  it("resumes from a saved cursor with no loss and no duplicate, even across a rotation", () => {
    const t = setup();
    write(t.path, lines(1, 3));
    const a = t.make("beginning");
    a.start();
    a.stop();
    const cursorFile = join(t.dir, "cursor.json");
    saveCursor(cursorFile, a.position()!);
    expect(statSync(cursorFile).mode & 0o777).toBe(0o600);
    // While clawav is down: more lines, a rotation, more lines.
    write(t.path, lines(4, 5));
    renameSync(t.path, `${t.path}.1`);
    write(t.path, lines(6, 7));
    const before = t.got.length;
    const b = t.make(loadCursor(cursorFile)!);
    b.start();
    b.stop();
    expect(t.got.slice(before)).toEqual(lines(4, 7));
  });

  it("reads everything when the cursor's file has rotated away, and counts it", () => {
    const t = setup();
    write(t.path, lines(1, 2));
    const b = t.make({ inode: 999999999, offset: 10 });
    b.start();
    b.stop();
    expect(t.got).toEqual(lines(1, 2));
    expect(b.stats.cursorLost).toBe(1);
  });

  it("treats a torn cursor file as no cursor", () => {
    const t = setup();
    const f = join(t.dir, "c.json");
    writeFileSync(f, '{"inode": 12, "off');
    expect(loadCursor(f)).toBeUndefined();
    writeFileSync(f, '{"inode": 12, "offset": 40}');
    expect(loadCursor(f)).toEqual({ inode: 12, offset: 40 });
  });
});
