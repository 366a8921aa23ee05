// `clawav parse-audit` on hostile and unusual input: bounded memory for a line without end,
// lossless bytes, gzip read by its magic, a gzip cut short named as such.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../../src/version.js";
import { CLI, run } from "../../helpers/system.js";

const dir = mkdtempSync(join(tmpdir(), "clawav-parse-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURE = join(PACKAGE_ROOT, "test", "fixtures", "audit", "exec-enriched.log");

describe("clawav parse-audit input", () => {
  it("reads a 200 MB line without a newline in a 64 MB heap: one counted error, the records after it kept", async () => {
    const f = join(dir, "flood.log");
    const fd = openSync(f, "w");
    const chunk = Buffer.alloc(1 << 20, 0x41);
    for (let i = 0; i < 200; i++) writeSync(fd, chunk);
    writeSync(fd, "\n");
    writeSync(fd, readFileSync(FIXTURE));
    closeSync(fd);
    // Held whole, the line alone would not fit the heap (it took 1.77 GB before).
    const r = await run(process.execPath, ["--max-old-space-size=64", CLI, "parse-audit", f]);
    rmSync(f);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:1: line of ${200 * (1 << 20)} bytes is longer than 524288: AAAA`);
    const plain = await run(process.execPath, [CLI, "parse-audit", FIXTURE]);
    expect(r.stdout.split("\n").length).toBe(plain.stdout.split("\n").length);
  }, 120_000);

  it("keeps bytes that are not UTF-8 in a quoted value as \\xNN", async () => {
    const f = join(dir, "bytes.log");
    writeFileSync(f, Buffer.concat([Buffer.from(`type=USER_CMD msg=audit(1795408503.100:7): pid=5 uid=0 auid=1000 ses=2 msg='cwd="/home/u" cmd=6C73 exe="/usr/bin/caf`), Buffer.from([0xe9, 0xff]), Buffer.from(`" terminal=pts/0 res=success'\n`)]));
    const r = await run(process.execPath, [CLI, "parse-audit", f]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim()).process.exe).toBe("/usr/bin/caf\\xe9\\xff");
  });

  it("reads a gzip file by its magic bytes, whatever its name, to the same events", async () => {
    const f = join(dir, "audit.log.1");
    writeFileSync(f, gzipSync(readFileSync(FIXTURE)));
    const [gz, plain] = await Promise.all([run(process.execPath, [CLI, "parse-audit", f]), run(process.execPath, [CLI, "parse-audit", FIXTURE])]);
    expect(gz.code).toBe(0);
    expect(gz.stdout).toBe(plain.stdout);
    expect(gz.stdout.length).toBeGreaterThan(1000);
    // From stdin too.
    const viaStdin = await run(process.execPath, [CLI, "parse-audit", "-"], { input: gzipSync(readFileSync(FIXTURE)) });
    expect(viaStdin.stdout).toBe(plain.stdout);
  });

  it("names a gzip file cut short, with exit 65 and no stack trace", async () => {
    const f = join(dir, "cut.gz");
    const gz = gzipSync(readFileSync(FIXTURE));
    writeFileSync(f, gz.subarray(0, gz.length >> 1));
    const r = await run(process.execPath, [CLI, "parse-audit", f]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`${f}: starts as gzip but does not decompress`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
