import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { auditdUsable, runCli } from "../helpers/system.js";

const keyed = (key: string) => spawnSync("auditctl", ["-l"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.endsWith(`key=${key}`) || l.endsWith(`-k ${key}`)).length;

describe.skipIf(!auditdUsable())("clawav rules remove", () => {
  // Another tool's rule, which must survive clawav's removal.
  const other = ["-w", "/etc/hostname", "-p", "wa", "-k", "clawav-test-other"];
  afterAll(async () => {
    spawnSync("auditctl", ["-W", "/etc/hostname", "-p", "wa", "-k", "clawav-test-other"]);
    await runCli(["rules", "install"]);
  });

  it("deletes clawav's rules and only those; install adds them back", async () => {
    spawnSync("auditctl", other);
    const inst = await runCli(["rules", "install"]);
    expect(inst.code).toBe(0);
    // A file watch whose path became a folder (as a test's ~/.ssh can): auditctl -W alone misses it.
    const dir = mkdtempSync(join(tmpdir(), "clawav-rules-"));
    const changed = join(dir, "was-a-file");
    writeFileSync(changed, "");
    expect(spawnSync("auditctl", ["-w", changed, "-p", "rwa", "-k", "clawav"]).status).toBe(0);
    rmSync(changed);
    mkdirSync(changed);
    const before = keyed("clawav");
    expect(before).toBeGreaterThan(10);
    const r = await runCli(["rules", "remove"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // A watch whose folder an earlier test deleted may vanish on its own between listing and delete.
    const m = /^rules: (\d+) removed(?:, (\d+) gone before their turn)? \(key clawav\); a running daemon adds them back at its next start\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1]) + Number(m![2] ?? 0)).toBe(before);
    expect(keyed("clawav")).toBe(0);
    expect(keyed("clawav-test-other")).toBe(1);
    rmSync(dir, { recursive: true });
    // Install adds back what this config wants (earlier daemons' state folders may have added more).
    const again = await runCli(["rules", "install"]);
    expect(again.stdout).toMatch(/^rules: \d+ added, 0 already present/);
    expect(keyed("clawav")).toBeGreaterThan(10);
  });
});
