import { UserError } from "../errors/index.js";
import { AUDIT_ARCH, OP, RET, X32_SYSCALL_BIT, type Insn } from "./bpf.js";
import { SYSCALL_NUMBERS } from "./syscall-numbers.js";
import type { Action, Arch, Condition, Whitelist } from "./whitelist.js";

/** Where a symbolic instruction goes: a label, resolved when the program is laid out. */
type Label = number;
type Sym =
  | { t: "ld"; k: number }
  | { t: "and"; k: number }
  | { t: "ret"; k: number }
  | { t: "ja"; to: Label }
  | { t: "j"; code: number; k: number; yes: Label; no: Label; far?: boolean }
  | { t: "label"; id: Label };

export function actionValue(a: Action): number {
  if (typeof a === "object") return (RET.ERRNO | (a.errno & 0xffff)) >>> 0;
  return RET[a];
}

export function syscallNumber(arch: Arch, name: string): number {
  const nr = SYSCALL_NUMBERS[arch][name];
  if (nr === undefined) throw new UserError(`"${name}" is not a syscall on ${arch}`);
  return nr;
}

const U32 = 0xffffffffn;

/**
 * Compiles a whitelist into one seccomp-BPF program for one architecture:
 * the arch is checked (any other arch, and x32 calls on x86_64, are killed), the syscall number
 * is found by a balanced binary search over the listed numbers, CONDITIONAL entries compare each
 * 64-bit argument as its high and low 32-bit words, and anything not listed gets the default.
 */
export function compile(w: Whitelist, arch: Arch): Insn[] {
  const code: Sym[] = [];
  let next = 0;
  const label = (): Label => next++;
  const at = (l: Label) => code.push({ t: "label", id: l });
  const dflt = label();
  const badArch = label();
  const entries = w.syscalls
    .map((e) => ({ e, nr: syscallNumber(arch, e.name) }))
    .sort((a, b) => a.nr - b.nr);

  code.push({ t: "ld", k: 4 });
  const archOk = label();
  code.push({ t: "j", code: OP.JEQ_K, k: AUDIT_ARCH[arch], yes: archOk, no: badArch });
  at(archOk);
  code.push({ t: "ld", k: 0 });
  const search = label();
  if (arch === "x86_64") code.push({ t: "j", code: OP.JGE_K, k: X32_SYSCALL_BIT, yes: badArch, no: search });
  at(search);

  const bodies: { l: Label; e: (typeof entries)[number]["e"] }[] = [];
  // Entries that end in the same plain return share one `ret` (300 ALLOWs need one, not 300).
  const shared = new Map<number, Label>();
  const bodyOf = (e: (typeof entries)[number]["e"]): Label => {
    if (e.permission === "CONDITIONAL") {
      const l = label();
      bodies.push({ l, e });
      return l;
    }
    const k = e.permission === "ALLOW" ? RET.ALLOW : actionValue(e.action ?? { errno: 1 });
    let l = shared.get(k);
    if (l === undefined) {
      l = label();
      shared.set(k, l);
    }
    return l;
  };
  const tree = (lo: number, hi: number): void => {
    // A short run is a chain of jeq; a long one is split at its middle number.
    if (hi - lo <= 3) {
      for (let i = lo; i <= hi; i++) {
        const body = bodyOf(entries[i]!.e);
        const nextL = label();
        code.push({ t: "j", code: OP.JEQ_K, k: entries[i]!.nr, yes: body, no: i === hi ? dflt : nextL });
        if (i < hi) at(nextL);
      }
      return;
    }
    const mid = Math.ceil((lo + hi) / 2);
    const upper = label();
    const lower = label();
    code.push({ t: "j", code: OP.JGE_K, k: entries[mid]!.nr, yes: upper, no: lower });
    at(lower);
    tree(lo, mid - 1);
    at(upper);
    tree(mid, hi);
  };
  if (entries.length > 0) tree(0, entries.length - 1);
  else code.push({ t: "ja", to: dflt });

  for (const [k, l] of shared) {
    at(l);
    code.push({ t: "ret", k });
  }
  for (const { l, e } of bodies) {
    at(l);
    for (const c of e.conditions ?? []) {
      const pass = label();
      condition(code, c, pass, dflt, label);
      at(pass);
    }
    code.push({ t: "ret", k: RET.ALLOW });
  }
  at(dflt);
  code.push({ t: "ret", k: actionValue(w.default_action) });
  at(badArch);
  code.push({ t: "ret", k: RET.KILL_PROCESS });
  return assemble(code);
}

/** Emits the test of one condition: jumps to `pass` when it holds, to `fail` otherwise. */
function condition(code: Sym[], c: Condition, pass: Label, fail: Label, label: () => Label): void {
  const v = BigInt.asUintN(64, BigInt(c.value));
  const hi = Number(v >> 32n), lo = Number(v & U32);
  const hiOff = 16 + 8 * c.arg + 4, loOff = 16 + 8 * c.arg;
  const J = (op: number, k: number, yes: Label, no: Label) => code.push({ t: "j", code: op, k, yes, no });
  const l1 = label(), l2 = label();
  switch (c.op) {
    case "eq":
    case "ne": {
      const [ok, bad] = c.op === "eq" ? [pass, fail] : [fail, pass];
      code.push({ t: "ld", k: hiOff });
      J(OP.JEQ_K, hi, l1, bad);
      code.push({ t: "label", id: l1 }, { t: "ld", k: loOff });
      J(OP.JEQ_K, lo, ok, bad);
      return;
    }
    case "gt":
    case "ge":
    case "lt":
    case "le": {
      // gt/ge hold when hi > vhi, or hi == vhi and lo > (>=) vlo; lt/le are their negations.
      const strict = c.op === "gt" || c.op === "le";
      const [ok, bad] = c.op === "gt" || c.op === "ge" ? [pass, fail] : [fail, pass];
      code.push({ t: "ld", k: hiOff });
      J(OP.JGT_K, hi, ok, l1);
      code.push({ t: "label", id: l1 });
      J(OP.JEQ_K, hi, l2, bad);
      code.push({ t: "label", id: l2 }, { t: "ld", k: loOff });
      J(strict ? OP.JGT_K : OP.JGE_K, lo, ok, bad);
      return;
    }
    case "masked_eq": {
      const m = BigInt.asUintN(64, BigInt(c.mask ?? 0));
      code.push({ t: "ld", k: hiOff }, { t: "and", k: Number(m >> 32n) });
      J(OP.JEQ_K, hi, l1, fail);
      code.push({ t: "label", id: l1 }, { t: "ld", k: loOff }, { t: "and", k: Number(m & U32) });
      J(OP.JEQ_K, lo, pass, fail);
      return;
    }
  }
}

/**
 * Lays the program out. A conditional jump reaches at most 255 instructions ahead; one that must
 * go further becomes `jcc 0,1; ja yes; ja no` (ja takes a 32-bit offset). Repeat until stable.
 */
function assemble(code: Sym[]): Insn[] {
  for (;;) {
    const pos = new Map<Label, number>();
    let n = 0;
    for (const s of code) {
      if (s.t === "label") pos.set(s.id, n);
      else n += s.t === "j" && s.far ? 3 : 1;
    }
    let grew = false;
    const out: Insn[] = [];
    for (const s of code) {
      const here = out.length;
      const dist = (l: Label) => pos.get(l)! - (here + 1);
      switch (s.t) {
        case "label": break;
        case "ld": out.push({ code: OP.LD_W_ABS, jt: 0, jf: 0, k: s.k }); break;
        case "and": out.push({ code: OP.ALU_AND_K, jt: 0, jf: 0, k: s.k >>> 0 }); break;
        case "ret": out.push({ code: OP.RET_K, jt: 0, jf: 0, k: s.k >>> 0 }); break;
        case "ja": out.push({ code: OP.JA, jt: 0, jf: 0, k: dist(s.to) }); break;
        case "j":
          if (s.far) {
            out.push({ code: s.code, jt: 0, jf: 1, k: s.k >>> 0 });
            out.push({ code: OP.JA, jt: 0, jf: 0, k: pos.get(s.yes)! - (here + 2) });
            out.push({ code: OP.JA, jt: 0, jf: 0, k: pos.get(s.no)! - (here + 3) });
          } else {
            const jt = dist(s.yes), jf = dist(s.no);
            if (jt > 255 || jf > 255) {
              s.far = true;
              grew = true;
            }
            out.push({ code: s.code, jt: Math.min(jt, 255), jf: Math.min(jf, 255), k: s.k >>> 0 });
          }
      }
    }
    if (!grew) {
      if (out.length > 4096) throw new UserError(`the filter has ${out.length} instructions; the kernel takes at most 4096`);
      return out;
    }
  }
}
