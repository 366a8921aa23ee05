import { SYSCALL_NAMES } from "./syscall-table.js";

/** AUDIT_ARCH_* values as they appear in SYSCALL's arch= field. */
const ARCHES: Readonly<Record<string, string>> = {
  c000003e: "x86_64",
  c00000b7: "aarch64",
  "40000003": "i386",
};

export function archName(hex: string): string {
  return ARCHES[hex.toLowerCase()] ?? (hex === "" ? "unknown" : `arch_${hex}`);
}

/** The syscall's name in the event's own arch; `syscall_N` when the table does not know it. */
export function syscallName(arch: string, nr: number): string {
  return SYSCALL_NAMES[arch]?.[nr] ?? `syscall_${nr}`;
}
