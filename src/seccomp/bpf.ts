/** Classic BPF as seccomp runs it: instructions, encoding, a disassembler and an interpreter. */
export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const OP = {
  LD_W_ABS: 0x20,
  LD_IMM: 0x00,
  ALU_AND_K: 0x54,
  ALU_OR_K: 0x44,
  JA: 0x05,
  JEQ_K: 0x15,
  JGT_K: 0x25,
  JGE_K: 0x35,
  JSET_K: 0x45,
  RET_K: 0x06,
  RET_A: 0x16,
  ST: 0x02,
  LDX_MEM: 0x61,
  LD_MEM: 0x60,
  TAX: 0x07,
  TXA: 0x87,
} as const;

export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const AUDIT_ARCH = { x86_64: 0xc000003e, aarch64: 0xc00000b7 } as const;
export const X32_SYSCALL_BIT = 0x40000000;

export function encode(prog: readonly Insn[]): Buffer {
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach((p, i) => {
    b.writeUInt16LE(p.code, i * 8);
    b.writeUInt8(p.jt, i * 8 + 2);
    b.writeUInt8(p.jf, i * 8 + 3);
    b.writeUInt32LE(p.k >>> 0, i * 8 + 4);
  });
  return b;
}

export function decode(b: Buffer): Insn[] {
  if (b.length % 8 !== 0) throw new Error(`a BPF program is a multiple of 8 bytes; this one has ${b.length}`);
  const out: Insn[] = [];
  for (let i = 0; i < b.length; i += 8) out.push({ code: b.readUInt16LE(i), jt: b.readUInt8(i + 2), jf: b.readUInt8(i + 3), k: b.readUInt32LE(i + 4) });
  return out;
}

export function actionName(k: number): string {
  const action = (k & 0xffff0000) >>> 0;
  switch (action) {
    case RET.KILL_PROCESS: return "KILL_PROCESS";
    case RET.KILL_THREAD: return "KILL_THREAD";
    case RET.TRAP: return "TRAP";
    case RET.ERRNO: return `ERRNO(${k & 0xffff})`;
    case RET.USER_NOTIF: return "USER_NOTIF";
    case RET.TRACE: return `TRACE(${k & 0xffff})`;
    case RET.LOG: return "LOG";
    case RET.ALLOW: return "ALLOW";
    default: return `0x${(k >>> 0).toString(16)}`;
  }
}

const DATA_NAMES: Record<number, string> = { 0: "nr", 4: "arch", 8: "ip_lo", 12: "ip_hi" };
function field(k: number): string {
  if (DATA_NAMES[k] !== undefined) return DATA_NAMES[k];
  if (k >= 16 && k < 64) return `args[${(k - 16) >> 3}].${(k - 16) % 8 === 0 ? "lo" : "hi"}`;
  return `[${k}]`;
}

export function disasm(prog: readonly Insn[]): string {
  const hex = (k: number) => `0x${(k >>> 0).toString(16)}`;
  return prog
    .map((p, i) => {
      const at = String(i).padStart(4, "0");
      const tgt = (d: number) => String(i + 1 + d).padStart(4, "0");
      let s: string;
      switch (p.code) {
        case OP.LD_W_ABS: s = `ld  ${field(p.k)}`; break;
        case OP.LD_IMM: s = `ld  #${hex(p.k)}`; break;
        case OP.ALU_AND_K: s = `and #${hex(p.k)}`; break;
        case OP.ALU_OR_K: s = `or  #${hex(p.k)}`; break;
        case OP.JA: s = `ja  ${String(i + 1 + p.k).padStart(4, "0")}`; break;
        case OP.JEQ_K: s = `jeq #${hex(p.k)}  true ${tgt(p.jt)} false ${tgt(p.jf)}`; break;
        case OP.JGT_K: s = `jgt #${hex(p.k)}  true ${tgt(p.jt)} false ${tgt(p.jf)}`; break;
        case OP.JGE_K: s = `jge #${hex(p.k)}  true ${tgt(p.jt)} false ${tgt(p.jf)}`; break;
        case OP.JSET_K: s = `jset #${hex(p.k)} true ${tgt(p.jt)} false ${tgt(p.jf)}`; break;
        case OP.RET_K: s = `ret ${actionName(p.k)}`; break;
        case OP.RET_A: s = "ret A"; break;
        case OP.ST: s = `st  M[${p.k}]`; break;
        case OP.LD_MEM: s = `ld  M[${p.k}]`; break;
        case OP.LDX_MEM: s = `ldx M[${p.k}]`; break;
        case OP.TAX: s = "tax"; break;
        case OP.TXA: s = "txa"; break;
        default: s = `.insn code=${hex(p.code)} jt=${p.jt} jf=${p.jf} k=${hex(p.k)}`;
      }
      return `${at}: ${s}`;
    })
    .join("\n");
}

/** The seccomp_data a filter sees: nr, arch, instruction pointer, six 64-bit arguments. */
export function seccompData(nr: number, arch: number, args: readonly bigint[] = [], ip = 0n): Buffer {
  const b = Buffer.alloc(64);
  b.writeInt32LE(nr, 0);
  b.writeUInt32LE(arch >>> 0, 4);
  b.writeBigUInt64LE(ip, 8);
  for (let i = 0; i < 6; i++) b.writeBigUInt64LE(BigInt.asUintN(64, args[i] ?? 0n), 16 + 8 * i);
  return b;
}

/** Runs a classic BPF program over seccomp_data; returns the 32-bit action. Throws on a bad program. */
export function run(prog: readonly Insn[], data: Buffer): number {
  return execute(prog, data).action;
}

/** As run(), and how many instructions it took. */
export function execute(prog: readonly Insn[], data: Buffer): { action: number; steps: number } {
  let A = 0, X = 0, pc = 0;
  const M = new Uint32Array(16);
  for (let steps = 1; steps < 1_000_000; steps++) {
    const p = prog[pc];
    if (!p) throw new Error(`fell off the end at ${pc}`);
    pc++;
    switch (p.code) {
      case OP.LD_W_ABS: A = data.readUInt32LE(p.k); break;
      case OP.LD_IMM: A = p.k >>> 0; break;
      case OP.ALU_AND_K: A = (A & p.k) >>> 0; break;
      case OP.ALU_OR_K: A = (A | p.k) >>> 0; break;
      case OP.JA: pc += p.k; break;
      case OP.JEQ_K: pc += A === p.k >>> 0 ? p.jt : p.jf; break;
      case OP.JGT_K: pc += A > p.k >>> 0 ? p.jt : p.jf; break;
      case OP.JGE_K: pc += A >= p.k >>> 0 ? p.jt : p.jf; break;
      case OP.JSET_K: pc += (A & p.k) !== 0 ? p.jt : p.jf; break;
      case OP.RET_K: return { action: p.k >>> 0, steps };
      case OP.RET_A: return { action: A >>> 0, steps };
      case OP.ST: M[p.k] = A; break;
      case OP.LD_MEM: A = M[p.k]!; break;
      case OP.LDX_MEM: X = M[p.k]!; break;
      case OP.TAX: X = A; break;
      case OP.TXA: A = X; break;
      default: throw new Error(`unsupported BPF instruction 0x${p.code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error("program did not return");
}
