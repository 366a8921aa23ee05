// `clawav run` on a terminal: a person reads it, so plain lines and no JSON, and a status line as
// soon as it runs. A real pseudo-terminal from util-linux's `script`.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, commandExists, IS_ROOT, run } from "../helpers/system.js";

describe.skipIf(!IS_ROOT || !commandExists("script"))("console mode on a terminal", () => {
  it("prints only human lines (no JSON logs) and a status line at start", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-console-"));
    const cfg = join(dir, "c.toml");
    writeFileSync(cfg, '[network]\ndns_servers = ["127.0.0.1:1"]\n\n[ebpf]\ndns_answers = false\nsyscalls = false\n', { mode: 0o600 });
    const cmd = `timeout -s INT 8 ${process.execPath} ${CLI} run --api-port 0 --state-dir ${join(dir, "state")} --config ${cfg}`;
    const r = await run("script", ["-qfec", cmd, "/dev/null"]);
    const lines = r.stdout.replace(/\r/g, "").split("\n").filter((l) => l.trim() !== "");
    expect(lines.filter((l) => l.trimStart().startsWith("{"))).toEqual([]);
    const running = lines.findIndex((l) => l.startsWith("clawav: clawav running"));
    expect(running).toBeGreaterThanOrEqual(0);
    expect(lines[running + 1]).toMatch(/^clawav: \d+ events, \d+ alerts, queue \d+\/\d+ \(dropped \d+\); auditd running/);
    expect(lines.some((l) => l.startsWith("clawav: clawav stopped"))).toBe(true);
  }, 30_000);
});
