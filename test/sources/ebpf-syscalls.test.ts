import { describe, expect, it } from "vitest";
import { MAX_ARGS, STRLEN, SyscallAssembler, SyscallsSource, syscallProgram } from "../../src/sources/bpftrace/index.js";
import { EventIdGenerator } from "../../src/events/index.js";

describe("the eBPF syscall program's lines, assembled into calls", () => {
  it("an exec is its entry, its arguments (newlines and all) and its return, with who made it", () => {
    const a = new SyscallAssembler();
    expect(a.push("E 40 40 39 1001 1001 1000 7 /usr/bin/printf")).toBeUndefined();
    a.push("A 40 0 printf");
    a.push("A 40 1 a b\nc");
    const r = a.push("X 40 0 5000 0 printf");
    // The image is set-uid root: the effective uid after the exec is the image's; the login uid stays.
    expect(r).toEqual({ kind: "exec", pid: 40, ppid: 39, uid: 1001, euid: 0, auid: 1000, cgroup: "7", ns: 5000n, filename: "/usr/bin/printf", argv: ["printf", "a b\nc"], truncated: false, ret: 0, comm: "printf" });
    expect(a.open_calls).toBe(0);
  });

  it("says an argv is cut when it had more arguments, an argument filled bpftrace's string, or a line was lost", () => {
    const a = new SyscallAssembler();
    a.push("E 1 1 0 0 0 4294967295 1 /bin/x");
    a.push("A 1 0 x");
    a.push("T 1");
    expect(a.push("X 1 0 5000 0 x")).toMatchObject({ truncated: true, argv: ["x"] });
    a.push("E 2 2 0 0 0 4294967295 1 /bin/x");
    a.push(`A 2 0 ${"y".repeat(STRLEN - 1)}`);
    expect(a.push("X 2 0 5000 0 x")).toMatchObject({ truncated: true });
    a.push("E 3 3 0 0 0 4294967295 1 /bin/x");
    a.push("A 3 0 x");
    a.push("A 3 2 z");
    expect(a.push("X 3 0 5000 0 x")).toMatchObject({ truncated: true, argv: ["x", "", "z"] });
  });

  it("keeps calls of different threads apart and pairs each return with its own entry", () => {
    const a = new SyscallAssembler();
    a.push("O 10 10 1 1001 1001 4294967295 5 openat 0 /home/u/.ssh/id_rsa");
    a.push("C 11 10 1 1001 1001 4294967295 5 4 5000 4e00007f");
    expect(a.push("RC 11 -111 7000")).toEqual({ kind: "connect", pid: 10, ppid: 1, uid: 1001, euid: 1001, auid: null, cgroup: "5", ns: 7000n, family: "inet", address: "127.0.0.78", port: 0x50, ret: -111 });
    expect(a.push("RO 10 3 7000")).toEqual({ kind: "open", pid: 10, ppid: 1, uid: 1001, euid: 1001, auid: null, cgroup: "5", ns: 7000n, syscall: "openat", flags: 0, path: "/home/u/.ssh/id_rsa", ret: 3 });
    a.push("C 12 12 1 0 0 -1 5 6 bb01 0:100000000000000");
    expect(a.push("RC 12 0 7000")).toMatchObject({ family: "inet6", address: "::1", port: 443, auid: null });
  });

  it("counts what is not the program's, and returns whose entry it never saw, without throwing", () => {
    const a = new SyscallAssembler();
    for (const l of ["", "garbage", "E x", "C 1 1 1 1 1 4294967295 1 4 zz 7f", "RO 1 3 7000", "X 9 0 5000 0 sh", "A 9 0 sh", "RO abc 1"]) expect(a.push(l)).toBeUndefined();
    expect(a.malformed).toBe(5);
    expect(a.orphans).toBe(3);
    // An open's return never completes an exec of the same thread.
    a.push("E 5 5 1 0 0 4294967295 1 /bin/sh");
    expect(a.push("RO 5 3 7000")).toBeUndefined();
    expect(a.push("X 5 0 5000 0 sh")).toMatchObject({ kind: "exec" });
  });

  it("stays bounded when entries never return, and counts the ones it forgot", () => {
    const a = new SyscallAssembler();
    for (let i = 0; i < 9000; i++) a.push(`E ${i} ${i} 1 0 0 0 1 /bin/x`);
    expect(a.open_calls).toBe(8192);
    expect(a.evicted).toBe(9000 - 8192);
  });

  it("builds a program that reads every argument slot, skips clawav, and filters opens by the watched paths", () => {
    const p = syscallProgram({ watchedPaths: ["/home/u/.ssh/", "/etc/shadow"], excludePids: [4242] });
    expect(p).toContain(`args->argv[${MAX_ARGS - 1}]`);
    expect(p).toContain(`if (args->argv[${MAX_ARGS}] != 0) { printf("T %d\\n", tid); }`);
    expect(p).toContain('strncmp(str($p), "/home/u/.ssh", 12) == 0');
    expect(p).toContain('strncmp(str($p), "/etc/shadow", 11) == 0');
    expect(p).toContain("/pid != 4242/");
    expect(p).not.toContain("sys_enter_open "); // the legacy open(2) only when asked
    expect(syscallProgram({ watchedPaths: [], excludePids: [], legacyOpen: true })).toContain("sys_enter_open /");
  });

  it("refuses a watched path that could change the program's text", () => {
    expect(() => syscallProgram({ watchedPaths: ['/tmp/x", 1) == 0 || 1 == 1 /* '], excludePids: [] })).toThrow(/plain path characters/);
    expect(() => syscallProgram({ watchedPaths: ["relative/path"], excludePids: [] })).toThrow(/plain path characters/);
  });

  it("the source leaves a watched path with unusual characters to auditd, and says so, instead of failing to start", () => {
    const src = new SyscallsSource({ bpftrace: "/usr/bin/bpftrace", nodeId: "t", ids: new EventIdGenerator(), watchedPaths: ["/home/u/My Keys", "/home/u/.ssh/"] });
    expect(src.unwatchable).toEqual(["/home/u/My Keys"]);
    expect(src.details()).toMatchObject({ paths_watched: 1, paths_left_to_auditd: ["/home/u/My Keys"] });
  });
});
