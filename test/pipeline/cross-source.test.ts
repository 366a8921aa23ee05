import { describe, expect, it } from "vitest";
import type { Event } from "../../src/events/index.js";
import { CrossSourceMatcher, callKey } from "../../src/pipeline/index.js";

let n = 0;
function exec(source: string, pid: number, argv: string[], extra: Partial<Event["process"]> = {}, ts = 1000): Event {
  return { id: `e${n++}`, ts, source, kind: "exec", node_id: "t", fidelity: "kernel", syscall: { name: "execve", nr: 59, arch: "x86_64", success: true, exit: 0, args: [] }, process: { pid, uid: 1001, auid: null, argv, exe: "/usr/bin/cat", cwd: "/home/u", ...extra } };
}

describe("one call seen by auditd and by eBPF is judged once", () => {
  it("the second copy, from the other source, is a repeat and names the first", () => {
    const m = new CrossSourceMatcher();
    const first = exec("ebpf", 10, ["cat", "x"]);
    const second = exec("auditd", 10, ["cat", "x"]);
    expect(m.isRepeat(first)).toBe(false);
    expect(m.isRepeat(second)).toBe(true);
    expect(second.seen_first_by).toEqual({ source: "ebpf", event_id: first.id });
    expect(m.stats.repeats).toBe(1);
    // Its twin is spent: a third copy is a new call.
    expect(m.isRepeat(exec("auditd", 10, ["cat", "x"]))).toBe(false);
  });

  it("a call made twice pairs twice; copies from the same source never pair", () => {
    const m = new CrossSourceMatcher();
    expect(m.isRepeat(exec("ebpf", 11, ["sh"]))).toBe(false);
    expect(m.isRepeat(exec("ebpf", 11, ["sh"]))).toBe(false);
    expect(m.isRepeat(exec("auditd", 11, ["sh"]))).toBe(true);
    expect(m.isRepeat(exec("auditd", 11, ["sh"]))).toBe(true);
    expect(m.isRepeat(exec("auditd", 11, ["sh"]))).toBe(false);
  });

  it("a first copy that lacked the executable or working folder lets the fuller copy be judged too", () => {
    const m = new CrossSourceMatcher();
    expect(m.verdict(exec("ebpf", 12, ["cat", "k"], { exe: undefined, cwd: undefined }))).toEqual({ repeat: false });
    m.raised(["cred.ssh-key-read"]);
    const full = exec("auditd", 12, ["cat", "k"]);
    const v = m.verdict(full);
    // Judged again, but not for the rule the first copy already raised.
    expect(v.repeat).toBe(false);
    expect(v.repeat === false && [...(v.alreadyRaised ?? [])]).toEqual(["cred.ssh-key-read"]);
    expect(full.seen_first_by?.source).toBe("ebpf");
    expect(m.stats.rejudged).toBe(1);
  });

  it("never pairs different processes, outcomes, files or addresses, nor copies further apart than the window", () => {
    const m = new CrossSourceMatcher();
    m.isRepeat(exec("ebpf", 13, ["id"]));
    expect(m.isRepeat(exec("auditd", 14, ["id"]))).toBe(false);
    expect(m.isRepeat(exec("auditd", 13, ["whoami"]))).toBe(false);
    const failed = exec("auditd", 13, ["id"]);
    failed.syscall!.success = false;
    expect(m.isRepeat(failed)).toBe(false);
    m.isRepeat(exec("ebpf", 15, ["id"], {}, 1000));
    expect(m.isRepeat(exec("auditd", 15, ["id"], {}, 12_000))).toBe(false);
    // Sources other than the two kernel views never pair (procfs polls, a gate decides).
    m.isRepeat(exec("ebpf", 16, ["id"]));
    expect(m.isRepeat(exec("procfs", 16, ["id"]))).toBe(false);
  });

  it("keys opens by the file reached and connects by address and port; other kinds have no key", () => {
    const base = { id: "x", ts: 1, source: "auditd", node_id: "t", fidelity: "kernel" as const, process: { pid: 1, auid: null, argv: [] } };
    const open = { ...base, kind: "file" as const, syscall: { name: "openat", nr: 257, arch: "x86_64", success: true, exit: 3, args: [] }, file: { path: "/tmp/l", items: [{ name: "/home/u/.ssh/id_rsa", named: "/tmp/l", nametype: "NORMAL" }] } };
    expect(callKey(open)).toBe("f|1|1|/tmp/l");
    const conn = { ...base, kind: "net" as const, syscall: { name: "connect", nr: 42, arch: "x86_64", success: true, exit: 0, args: [] }, net: { family: "inet" as const, address: "127.0.0.1", port: 80 } };
    expect(callKey(conn)).toBe("n|1|127.0.0.1|80");
    expect(callKey({ ...base, kind: "signal" })).toBeUndefined();
    expect(callKey({ ...open, syscall: { ...open.syscall, name: "unlink" } })).toBeUndefined();
  });
});
