// A live daemon says in its log when audit lines cannot be read, not only in a counter.
import { describe, expect, it } from "vitest";
import { appendFileSync, mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IS_ROOT, auditdUsable, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

describe.skipIf(!IS_ROOT || !auditdUsable())("parse errors in the live daemon's log", () => {
  it("logs a warning naming the line and the reason when the audit log has a line it cannot parse", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-parse-log-"));
    const log = join(dir, "audit.log");
    writeFileSync(log, "", { mode: 0o600 });
    chmodSync(dir, 0o700);
    const d = DaemonUnderTest.withTempState(["--audit-log", log]);
    await d.start();
    try {
      appendFileSync(log, "this is not an audit record\n");
      const w = await waitFor("the warning about the unparsable line", () => d.logs.find((l) => l.msg === "audit log lines clawav could not parse"), 15_000);
      expect(w).toMatchObject({ level: "warn", new: 1, total: 1, line: 1 });
      expect(String(w.excerpt)).toContain("this is not an audit record");
    } finally {
      await d.stop();
    }
  }, 40_000);
});
