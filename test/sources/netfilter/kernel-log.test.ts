// The kernel-log readers of the netfilter sensor that are not /dev/kmsg. The file reader follows
// a kern.log as rsyslog writes it (the kernel's lines recorded from this kernel, behind rsyslog's
// RFC 3339 prefix), from its end and across rotation. (The journal reader is tested live in
// test/e2e/netfilter.test.ts: on the test machines rsyslog's imklog receives no kernel lines, so
// the file is written here.)
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kernelLogReader, parseFlowLine } from "../../../src/sources/netfilter/index.js";
import { waitFor } from "../../helpers/system.js";

const dir = mkdtempSync(join(tmpdir(), "clawav-kernlog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The recorded kmsg records as rsyslog's kern.log holds them. */
const kernLines = readFileSync(new URL("../../fixtures/netfilter/kmsg.txt", import.meta.url), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((r) => `2026-12-06T15:17:47.532627+00:00 vm kernel: [ 68.593236] ${r.slice(r.indexOf(";") + 1)}`);

describe("the file reader (rsyslog's kern.log)", () => {
  it("reads what is written after it starts, each line a message the flow parser takes, and follows a rotation", async () => {
    const f = join(dir, "kern.log");
    writeFileSync(f, `${kernLines[0]}\n`);
    const got: string[] = [];
    const r = kernelLogReader({ kind: "file", path: f }, (m) => got.push(m), () => {}, () => {});
    r.start();
    try {
      expect(r.where).toBe(f);
      appendFileSync(f, `${kernLines[1]}\n2026-12-06T15:17:48+00:00 vm kernel: [ 69.1] eth0: link up\n`);
      await waitFor("two lines", () => (got.length >= 2 ? true : undefined));
      // What was there before the start is not read again; other kernel lines are passed and ignored by the parser.
      expect(got.map((m) => parseFlowLine(m, "CLAWAV_NET"))).toEqual([expect.objectContaining({ verdict: "dropped", dst: "10.203.0.6", dport: 8080, uid: 1001 }), undefined]);
      renameSync(f, `${f}.1`);
      writeFileSync(f, `${kernLines[2]}\n`);
      await waitFor("the line after the rotation", () => (got.length >= 3 ? true : undefined), 10_000);
      expect(parseFlowLine(got[2]!, "CLAWAV_NET")).toMatchObject({ verdict: "dropped", sport: 53160 });
      expect(r.counts).toMatchObject({ records: 3, overrun: 0, restarts: 0 });
    } finally {
      r.stop();
    }
  });
});
