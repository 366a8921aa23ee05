import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../src/seccomp/compile.js";
import { AUDIT_ARCH, actionName, decode, disasm, execute, run, seccompData } from "../../src/seccomp/bpf.js";
import { parseWhitelist, WhitelistError, type Whitelist } from "../../src/seccomp/whitelist.js";
import { SYSCALL_NUMBERS } from "../../src/seccomp/syscall-numbers.js";
import { commandExists } from "../helpers/system.js";
import { PACKAGE_ROOT } from "../../src/version.js";

const nr = (n: string) => SYSCALL_NUMBERS.x86_64[n]!;
const X86 = AUDIT_ARCH.x86_64;

const policy: Whitelist = {
  version: "1.0.0",
  default_action: { errno: 38 },
  syscalls: [
    { name: "read", permission: "ALLOW" },
    { name: "write", permission: "ALLOW" },
    { name: "exit_group", permission: "ALLOW" },
    { name: "mkdir", permission: "DENY", action: { errno: 13 } },
    { name: "ptrace", permission: "DENY", action: "KILL_PROCESS" },
    { name: "socket", permission: "CONDITIONAL", conditions: [{ arg: 0, op: "eq", value: 2 }] },
    { name: "mmap", permission: "CONDITIONAL", conditions: [{ arg: 2, op: "masked_eq", mask: 4, value: 0 }] },
    { name: "lseek", permission: "CONDITIONAL", conditions: [{ arg: 1, op: "gt", value: "0x100000000" }] },
    { name: "pread64", permission: "CONDITIONAL", conditions: [{ arg: 3, op: "le", value: "0x1ffffffff" }, { arg: 2, op: "lt", value: 4096 }] },
    { name: "kill", permission: "CONDITIONAL", conditions: [{ arg: 1, op: "ne", value: 9 }] },
    { name: "dup2", permission: "CONDITIONAL", conditions: [{ arg: 0, op: "ge", value: 3 }] },
  ],
};

const ARGS: bigint[] = [0n, 1n, 2n, 3n, 4n, 9n, 17n, 4095n, 4096n, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1ffffffffn, 0x200000000n, 0xffffffffffffffffn];

describe("seccomp compiler", () => {
  it("returns the configured action for each kind of entry", () => {
    const p = compile(policy, "x86_64");
    const act = (n: string, args: bigint[] = []) => actionName(run(p, seccompData(nr(n), X86, args)));
    expect(act("read")).toBe("ALLOW");
    expect(act("mkdir")).toBe("ERRNO(13)");
    expect(act("ptrace")).toBe("KILL_PROCESS");
    expect(act("openat")).toBe("ERRNO(38)");
    expect(act("socket", [2n])).toBe("ALLOW");
    expect(act("socket", [17n])).toBe("ERRNO(38)"); // AF_PACKET
    expect(act("lseek", [0n, 0x100000000n])).toBe("ERRNO(38)");
    expect(act("lseek", [0n, 0x100000001n])).toBe("ALLOW");
    expect(actionName(run(p, seccompData(nr("read") | 0x40000000, X86)))).toBe("KILL_PROCESS"); // x32
    expect(actionName(run(p, seccompData(nr("read"), 0x40000003)))).toBe("KILL_PROCESS"); // i386
  });

  it("handles jumps longer than 255 instructions and a long list (balanced search)", () => {
    const names = Object.keys(SYSCALL_NUMBERS.x86_64).slice(0, 300);
    const w: Whitelist = { version: "1.0.0", default_action: "KILL_PROCESS", syscalls: names.map((n, i) => (i % 7 === 0 ? { name: n, permission: "CONDITIONAL" as const, conditions: [{ arg: 0, op: "ge" as const, value: 5 }] } : { name: n, permission: "ALLOW" as const })) };
    const p = compile(w, "x86_64");
    expect(p.length).toBeGreaterThan(300);
    for (const [i, n] of names.entries()) {
      expect(actionName(run(p, seccompData(nr(n), X86, [7n]))), n).toBe("ALLOW");
      expect(actionName(run(p, seccompData(nr(n), X86, [1n]))), n).toBe(i % 7 === 0 ? "KILL_PROCESS" : "ALLOW");
    }
    // a balanced search: the deepest path is short, not 300 comparisons
    let maxSteps = 0;
    for (const n of names) maxSteps = Math.max(maxSteps, execute(p, seccompData(nr(n), X86, [7n])).steps);
    expect(maxSteps).toBeLessThan(40);
    expect(disasm(p)).toMatch(/^0000: ld {2}arch\n0001: jeq #0xc000003e/);
  });

  it.skipIf(!commandExists("/usr/bin/python3") || spawnSync("/usr/bin/python3", ["-c", "import seccomp"]).status !== 0)("agrees with libseccomp's filter for every syscall number and sampled arguments", () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-sc-"));
    writeFileSync(join(dir, "w.json"), JSON.stringify(policy));
    const r = spawnSync("/usr/bin/python3", [join(PACKAGE_ROOT, "test", "seccomp", "libseccomp-export.py"), join(dir, "w.json")]);
    expect(r.status).toBe(0);
    const theirs = decode(r.stdout);
    const ours = compile(policy, "x86_64");
    let compared = 0;
    const diffs: string[] = [];
    for (let n = 0; n < 512; n++) {
      for (const a of ARGS) for (const b of [0n, 0x100000000n, 4095n]) {
        for (const argv of [[a, a, b, b], [b, a, a, a]]) {
          const d = seccompData(n, X86, argv);
          const x = run(ours, d), y = run(theirs, d);
          compared++;
          if (x !== y && diffs.length < 5) diffs.push(`nr ${n} args ${argv.join(",")}: clawav ${actionName(x)} libseccomp ${actionName(y)}`);
        }
      }
    }
    for (const d of [seccompData(nr("read") | 0x40000000, X86), seccompData(nr("read"), AUDIT_ARCH.aarch64)]) {
      compared++;
      if (run(ours, d) !== run(theirs, d)) diffs.push(`foreign arch or x32: clawav ${actionName(run(ours, d))} libseccomp ${actionName(run(theirs, d))}`);
    }
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(30_000);
  });
});

describe("whitelist validation", () => {
  it("cites the JSON path and says what is wrong", () => {
    const bad = { version: "1", default_action: "NOPE", syscalls: [{ name: "read", permission: "ALLOW", extra: 1 }, { name: "socket", permission: "CONDITIONAL" }, { name: "nosuchcall", permission: "ALLOW" }] };
    let err: WhitelistError | undefined;
    try {
      parseWhitelist(JSON.stringify(bad), "w.json");
    } catch (e) {
      err = e as WhitelistError;
    }
    expect(err).toBeInstanceOf(WhitelistError);
    const text = err!.problems.join("\n");
    expect(text).toContain("$.version: must match pattern");
    expect(text).toContain('$.syscalls[0]: must NOT have additional properties "extra"');
    expect(text).toContain("$.syscalls[1]: must have required property 'conditions'");
    const names = new Set(Object.keys(SYSCALL_NUMBERS.x86_64));
    expect(() => parseWhitelist(JSON.stringify({ version: "1.0.0", default_action: "ALLOW", syscalls: [{ name: "nosuchcall", permission: "ALLOW" }] }), "w.json", () => names)).toThrow('$.syscalls[0].name: "nosuchcall" is not a syscall on x86_64');
  });
});

