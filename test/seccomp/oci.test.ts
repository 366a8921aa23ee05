import { describe, expect, it } from "vitest";
import { toOci } from "../../src/seccomp/oci.js";
import type { Whitelist } from "../../src/seccomp/whitelist.js";

describe("export-oci", () => {
  it("writes defaultAction, architectures and syscalls with args, 64-bit values exact", () => {
    const w: Whitelist = {
      version: "1.0.0",
      architectures: ["x86_64", "aarch64"],
      default_action: { errno: 1 },
      syscalls: [
        { name: "read", permission: "ALLOW" },
        { name: "mkdir", permission: "DENY", action: { errno: 13 } },
        { name: "ptrace", permission: "DENY", action: "KILL_PROCESS" },
        { name: "socket", permission: "CONDITIONAL", conditions: [{ arg: 0, op: "eq", value: 2 }] },
        { name: "mmap", permission: "CONDITIONAL", conditions: [{ arg: 2, op: "masked_eq", mask: 4, value: 0 }, { arg: 1, op: "le", value: "0xffffffffffffffff" }] },
      ],
    };
    const text = toOci(w);
    expect(text).toContain('"value": 18446744073709551615');
    const p = JSON.parse(text) as { defaultAction: string; defaultErrnoRet: number; architectures: string[]; syscalls: { names: string[]; action: string; errnoRet?: number; args?: { index: number; op: string; value: number; valueTwo: number }[] }[] };
    expect(p.defaultAction).toBe("SCMP_ACT_ERRNO");
    expect(p.defaultErrnoRet).toBe(1);
    expect(p.architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"]);
    expect(p.syscalls[0]).toEqual({ names: ["read"], action: "SCMP_ACT_ALLOW" });
    expect(p.syscalls[1]).toEqual({ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 13 });
    expect(p.syscalls[2]).toEqual({ names: ["ptrace"], action: "SCMP_ACT_KILL_PROCESS" });
    expect(p.syscalls[3]!.args).toEqual([{ index: 0, value: 2, valueTwo: 0, op: "SCMP_CMP_EQ" }]);
    expect(p.syscalls[4]!.args![0]).toEqual({ index: 2, value: 4, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" });
  });
});
