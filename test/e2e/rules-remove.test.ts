import { spawnSync } from "node:child_process";
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
    const before = keyed("clawav");
    expect(before).toBeGreaterThan(10);
    const r = await runCli(["rules", "remove"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`rules: ${before} removed (key clawav); a running daemon adds them back at its next start\n`);
    expect(keyed("clawav")).toBe(0);
    expect(keyed("clawav-test-other")).toBe(1);
    // Install adds back what this config wants (earlier daemons' state folders may have added more).
    const again = await runCli(["rules", "install"]);
    expect(again.stdout).toMatch(/^rules: \d+ added, 0 already present/);
    expect(keyed("clawav")).toBeGreaterThan(10);
  });
});
