import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDetector } from "../../src/detect/index.js";
import { parsePolicyText } from "../../src/detect/policy/index.js";
import { defaultConfig } from "../../src/config/index.js";
import { identityByName } from "../../src/enrich/index.js";
import { exec } from "./events.js";
import { CLI, runCli } from "../helpers/system.js";
import { existsSync } from "node:fs";
import type { Event } from "../../src/events/index.js";

const dir = mkdtempSync(join(tmpdir(), "clawav-seq-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = `rules:
  - name: fetch-then-run-in-tmp
    description: a download, then a program run from /tmp
    action: critical
    category: EXECUTION
    mitre: [T1105, T1204.002]
    sequence:
      by: agent
      within: 2m
      steps:
        - match: { command: [curl, wget] }
        - match: { exe: ["/tmp/**"] }
`;

const at = (e: Event, ts: number): Event => ({ ...e, ts });

describe("YAML sequences", () => {
  const pdir = join(dir, "p");
  writeFileSync(join(dir, "p.yaml"), POLICY);
  it("fire when the steps match in order by one agent within the window, with the rule's techniques", () => {
    const d = createDetector({ config: defaultConfig(), identity: identityByName, resolveHost: () => [], policyDirs: [join(dir, "p.yaml")] });
    expect(d.evaluate(at(exec("curl -s https://example.org/x -o /tmp/x"), 1_000)).map((a) => a.rule)).not.toContain("fetch-then-run-in-tmp");
    const fired = d.evaluate(at(exec(["/tmp/x"], { exe: "/tmp/x" }), 60_000)).find((a) => a.rule === "fetch-then-run-in-tmp");
    expect(fired).toMatchObject({ engine: "sequence", severity: "critical", category: "EXECUTION", mitre: ["T1105", "T1204.002"] });
    void pdir;
  });
  it("do not fire out of order, or when the window has passed", () => {
    const d = createDetector({ config: defaultConfig(), identity: identityByName, resolveHost: () => [], policyDirs: [join(dir, "p.yaml")] });
    d.evaluate(at(exec(["/tmp/x"], { exe: "/tmp/x" }), 1_000));
    expect(d.evaluate(at(exec("curl -s https://example.org/x"), 2_000)).map((a) => a.rule)).not.toContain("fetch-then-run-in-tmp");
    expect(d.evaluate(at(exec(["/tmp/y"], { exe: "/tmp/y" }), 200_000)).map((a) => a.rule)).not.toContain("fetch-then-run-in-tmp");
  });
  it("a broken sequence is refused with file:line:col and the key", () => {
    const r = parsePolicyText("rules:\n  - name: s\n    sequence:\n      by: everyone\n      within: 2 weeks\n      steps:\n        - match: { command: [curl] }\n", "s.yaml");
    expect(r.errors.map((e) => `${e.line}:${e.key}: ${e.message}`)).toEqual([
      '4:rules[0].sequence.by: "everyone" is not one of agent, parent, process',
      "5:rules[0].sequence.within: expected a duration up to 24h, like 30s, 10m or 2h",
      "7:rules[0].sequence.steps: expected a list of 2 to 8 steps, each a mapping with match",
    ]);
  });
});

describe.skipIf(!existsSync(CLI))("clawav policy test --events", () => {
  it("judges a file of events in order, so a sequence fires on its last step; a bad line names its number", async () => {
    const f = join(dir, "events.ndjson");
    writeFileSync(f, [JSON.stringify(at(exec("curl -s https://example.org/x -o /tmp/x"), 1_000)), JSON.stringify(at(exec(["/tmp/x"], { exe: "/tmp/x" }), 30_000))].join("\n") + "\n");
    const r = await runCli(["policy", "test", "--dir", join(dir, "p.yaml"), "--events", f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/events\.ndjson:2 exec \/tmp\/x:\n(.*\n)* {2}critical sequence\/fetch-then-run-in-tmp \[EXECUTION\] T1105,T1204\.002/);
    expect(r.stdout).toMatch(/^2 events, \d+ alerts$/m);
    writeFileSync(f, JSON.stringify(at(exec("id"), 1)) + "\n{\"id\": 3}\n");
    const bad = await runCli(["policy", "test", "--dir", join(dir, "p.yaml"), "--events", f]);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toBe(`clawav: policy test: ${f}:2: id: want 16 hex digits\n`);
  });
});
