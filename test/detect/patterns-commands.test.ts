// The dangerous-commands database in the detector: it fills the gaps the behaviour rules leave,
// and stays quiet where they spoke, on wrappers, and on failed execs.
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/config/index.js";
import { createDetector } from "../../src/detect/index.js";
import type { Event } from "../../src/events/index.js";
import { loadPatternDir, PatternSet } from "../../src/patterns/index.js";

const loadedCommands = () => new PatternSet(loadPatternDir().dbs.filter((x) => x.name === "commands"));

const d = createDetector({ config: defaultConfig(), resolveHost: () => [], sigmaDirs: [] });
const ev = (argv: string[], success = true): Event => ({
  id: "1", ts: 1, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel",
  syscall: { name: "execve", nr: 59, arch: "x86_64", success, exit: success ? 0 : -13, args: [] },
  process: { pid: 5, ppid: 4, uid: 1001, auid: null, euid: 1001, exe: `/usr/bin/${argv[0]}`, comm: argv[0]!, argv, cwd: "/home/a", agent: "a" },
});
const rules = (argv: string[], success = true) => d.evaluate(ev(argv, success)).map((a) => `${a.engine}:${a.rule}`);

describe("the commands database in the detector", () => {
  it("alerts where no behaviour rule did, with the entry's severity, category and ATT&CK ids", () => {
    const [a] = d.evaluate(ev(["dd", "if=/dev/zero", "of=/dev/sda", "bs=1M"]));
    expect(a).toMatchObject({ engine: "patterns", rule: "patterns/cmd.disk-wipe", severity: "critical", category: "SEC_TAMPER", mitre: ["T1485"] });
    expect(a!.summary).toBe("a disk or its data overwritten: dd if=/dev/zero of=/dev/sda bs=1M");
    expect(rules(["visudo"])).toEqual(["patterns:patterns/cmd.sudoers-write"]);
  });
  it("adds nothing where a behaviour rule spoke already", () => {
    expect(rules(["history", "-c"])).toEqual(["behavior:evasion.history"]);
  });
  it("is quiet on benign commands, on a wrapper (its command is judged when it runs), and on a failed exec", () => {
    expect(rules(["git", "status"])).toEqual([]);
    expect(rules(["dd", "if=disk.img", "of=backup.img"])).toEqual([]);
    expect(rules(["timeout", "5", "dd", "if=/dev/zero", "of=/dev/sda"])).toEqual([]);
    expect(rules(["dd", "if=/dev/zero", "of=/dev/sda"], false)).toEqual([]);
  });
});

describe("a reload (SIGHUP) and the commands database", () => {
  it("a database that no longer loads leaves the last good one in force", () => {
    const good = d.evaluate(ev(["visudo"]));
    expect(good.map((a) => a.rule)).toEqual(["patterns/cmd.sudoers-write"]);
    let calls = 0;
    const first = createDetector({ config: defaultConfig(), resolveHost: () => [], sigmaDirs: [], loadCommands: () => (calls++ === 0 ? loadedCommands() : undefined) });
    const r = first.reload();
    expect(calls).toBe(2);
    expect(r.detector!.evaluate(ev(["visudo"])).map((a) => a.rule)).toEqual(["patterns/cmd.sudoers-write"]);
  });
});
