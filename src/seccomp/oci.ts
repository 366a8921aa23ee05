import type { Action, Arch, Whitelist } from "./whitelist.js";

const ARCH: Record<Arch, string> = { x86_64: "SCMP_ARCH_X86_64", aarch64: "SCMP_ARCH_AARCH64" };
const OPS = { eq: "SCMP_CMP_EQ", ne: "SCMP_CMP_NE", gt: "SCMP_CMP_GT", lt: "SCMP_CMP_LT", ge: "SCMP_CMP_GE", le: "SCMP_CMP_LE", masked_eq: "SCMP_CMP_MASKED_EQ" } as const;
const ACTIONS = { ALLOW: "SCMP_ACT_ALLOW", KILL_PROCESS: "SCMP_ACT_KILL_PROCESS", KILL_THREAD: "SCMP_ACT_KILL_THREAD", TRAP: "SCMP_ACT_TRAP", LOG: "SCMP_ACT_LOG", USER_NOTIF: "SCMP_ACT_NOTIFY" } as const;

function action(a: Action): { action: string; errnoRet?: number } {
  return typeof a === "object" ? { action: "SCMP_ACT_ERRNO", errnoRet: a.errno } : { action: ACTIONS[a] };
}

/**
 * The whitelist as an OCI runtime seccomp profile (docker run --security-opt seccomp=FILE).
 * A CONDITIONAL entry's conditions are all in one rule (runc ANDs them). Values are unsigned
 * 64-bit: they are written as exact decimal digits, beyond what a JSON double can hold.
 */
export function toOci(w: Whitelist): string {
  const d = action(w.default_action);
  const syscalls = w.syscalls.map((e) => {
    if (e.permission === "ALLOW") return { names: [e.name], action: "SCMP_ACT_ALLOW" };
    if (e.permission === "DENY") {
      const a = action(e.action ?? { errno: 1 });
      return { names: [e.name], ...a };
    }
    return {
      names: [e.name],
      action: "SCMP_ACT_ALLOW",
      args: (e.conditions ?? []).map((c) =>
        c.op === "masked_eq"
          ? { index: c.arg, value: u64(c.mask ?? 0), valueTwo: u64(c.value), op: OPS[c.op] }
          : { index: c.arg, value: u64(c.value), valueTwo: u64(0), op: OPS[c.op] },
      ),
    };
  });
  const profile = {
    defaultAction: d.action,
    ...(d.errnoRet !== undefined ? { defaultErrnoRet: d.errnoRet } : {}),
    architectures: (w.architectures ?? ["x86_64"]).map((a) => ARCH[a]),
    syscalls,
  };
  // Exact 64-bit integers: mark them, stringify, then unquote the marks.
  return JSON.stringify(profile, null, 2).replace(/"u64:(\d+)"/g, "$1");
}

function u64(v: number | string): string {
  return `u64:${BigInt.asUintN(64, BigInt(v)).toString()}`;
}
