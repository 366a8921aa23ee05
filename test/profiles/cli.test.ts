import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { CLI, runCli } from "../helpers/system.js";

describe.skipIf(!existsSync(CLI))("clawav profiles", () => {
  it("list gives every shipped profile with what it is, and full", async () => {
    const r = await runCli(["profiles", "list"]);
    expect(r.code).toBe(0);
    const names = r.stdout.trim().split("\n").map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(["claude-code", "clawbot", "full", "moltbot", "openclaw"]);
    expect(r.stdout).toMatch(/^openclaw\s+OpenClaw: /m);
  });

  it("show says the agents, watched paths, tools and rules; --json the same as data", async () => {
    const r = await runCli(["profiles", "show", "openclaw"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("process tree rooted at openclaw");
    expect(r.stdout).toContain("~/.openclaw  (read, write, attributes)");
    expect(r.stdout).toMatch(/openclaw-mount {2}critical, quarantine {2}PRIV_ESC T1611/);
    const j = JSON.parse((await runCli(["profiles", "show", "full", "--json"])).stdout) as { name: string; rules: { name: string; severity: string }[] }[];
    expect(j.map((p) => p.name)).toEqual(["claude-code", "clawbot", "moltbot", "openclaw"]);
    expect(j.find((p) => p.name === "clawbot")!.rules).toContainEqual(expect.objectContaining({ name: "clawbot-off-machine", severity: "warning" }));
  });

  it("an unknown profile exits 65 with the known ones and no stack trace", async () => {
    const r = await runCli(["profiles", "show", "moltbto"]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe('clawav: no agent profile "moltbto": known profiles are claude-code, clawbot, moltbot, openclaw, full (clawav profiles list)\n');
  });
});
