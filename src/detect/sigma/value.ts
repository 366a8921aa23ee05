// One Sigma field test: the value (or list of values) written after `Field|mod|mod:`, compiled
// with its modifiers into a test of the field's value. Strings are case-insensitive unless
// `cased`; `*` and `?` are wildcards, `\` escapes them (and itself). Regular expressions run on
// RE2 (re2js), linear in the input like every pattern clawav runs.
import { RE2JS } from "re2js";
import { addressSet, MatchSyntaxError } from "../policy/match.js";
import { SigmaRefusal, SigmaSyntaxError } from "./errors.js";

/** A field's value as a view gives it: absent (undefined), null, a string or a number. */
export type FieldValue = string | number | null | undefined;
export type ValueTest = (v: FieldValue) => boolean;

export const MODIFIERS = ["contains", "startswith", "endswith", "all", "re", "i", "m", "s", "base64", "base64offset", "windash", "cidr", "exists", "lt", "lte", "gt", "gte", "cased"] as const;
/** Modifiers of the specification clawav refuses by name rather than match loosely. */
const REFUSED_MODIFIERS: Record<string, string> = {
  utf16le: "UTF-16 encodings are for Windows logs",
  utf16be: "UTF-16 encodings are for Windows logs",
  utf16: "UTF-16 encodings are for Windows logs",
  wide: "UTF-16 encodings are for Windows logs",
  expand: "placeholders need a site's value lists",
  fieldref: "comparing one field with another",
};

/** A scalar written in a rule: YAML gives strings, numbers, booleans and null. */
export type SigmaScalar = string | number | boolean | null;

/** Numbers compare as decimals only: Number("0x10") is 16, and audit fields hold hex that means something else. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

type StrTest = (lower: string, raw: string) => boolean;

/** Parses the modifier chain; refuses unknown and unsupported modifiers by name. */
export function parseModifiers(mods: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const m of mods) {
    if (m in REFUSED_MODIFIERS) throw new SigmaRefusal(`modifier ${m}`, REFUSED_MODIFIERS[m]!);
    if (!(MODIFIERS as readonly string[]).includes(m)) throw new SigmaRefusal(`modifier ${m}`, "not a modifier of the Sigma specification clawav knows");
    set.add(m);
  }
  const kinds = ["contains", "startswith", "endswith", "re", "cidr", "exists", "lt", "lte", "gt", "gte"].filter((k) => set.has(k));
  const ofRe = ["i", "m", "s"].filter((k) => set.has(k));
  if (ofRe.length > 0 && !set.has("re")) throw new SigmaSyntaxError(`modifier ${ofRe[0]} belongs to re`);
  const exclusive = kinds.filter((k) => k !== "contains" && k !== "startswith" && k !== "endswith");
  if (exclusive.length > 1 || (exclusive.length === 1 && kinds.length > 1)) throw new SigmaSyntaxError(`modifiers ${kinds.join(" and ")} cannot be combined`);
  if ((set.has("base64") || set.has("base64offset")) && exclusive.length > 0) throw new SigmaSyntaxError(`base64 cannot be combined with ${exclusive[0]}`);
  if (set.has("windash") && exclusive.length > 0) throw new SigmaSyntaxError(`windash cannot be combined with ${exclusive[0]}`);
  if (set.has("base64") && set.has("base64offset")) throw new SigmaSyntaxError("base64 and base64offset cannot be combined");
  return set;
}

/** Compiles `values` (one or a list) under the modifiers: OR over the values, or AND with `all`. */
export function compileValues(values: readonly SigmaScalar[], mods: ReadonlySet<string>): ValueTest {
  if (values.length === 0) throw new SigmaSyntaxError("an empty list of values matches nothing: write the values or drop the field");
  if (mods.has("exists")) {
    if (values.length !== 1 || typeof values[0] !== "boolean") throw new SigmaSyntaxError("exists takes true or false");
    const want = values[0];
    return (v) => (v !== undefined && v !== null) === want;
  }
  const tests = values.map((v) => compileValue(v, mods));
  if (tests.length === 1) return tests[0]!;
  return mods.has("all") ? (v) => tests.every((t) => t(v)) : (v) => tests.some((t) => t(v));
}

function compileValue(value: SigmaScalar, mods: ReadonlySet<string>): ValueTest {
  if (value === null) {
    if (mods.size > 0 && !(mods.size === 1 && mods.has("all"))) throw new SigmaSyntaxError("null takes no modifiers");
    return (v) => v === undefined || v === null || v === "";
  }
  if (typeof value === "boolean") value = String(value);
  for (const k of ["lt", "lte", "gt", "gte"] as const) {
    if (!mods.has(k)) continue;
    const n = typeof value === "number" ? value : DECIMAL.test(value) ? Number(value) : NaN;
    if (!Number.isFinite(n)) throw new SigmaSyntaxError(`${k} takes a number, not ${JSON.stringify(value)}`);
    const cmp = k === "lt" ? (x: number) => x < n : k === "lte" ? (x: number) => x <= n : k === "gt" ? (x: number) => x > n : (x: number) => x >= n;
    return (v) => {
      const x = typeof v === "number" ? v : typeof v === "string" && DECIMAL.test(v) ? Number(v) : NaN;
      return Number.isFinite(x) && cmp(x);
    };
  }
  const text = String(value);
  if (mods.has("cidr")) {
    let inSet: (a: string) => boolean;
    try {
      inSet = addressSet([text]);
    } catch (e) {
      if (e instanceof MatchSyntaxError) throw new SigmaSyntaxError(e.message);
      throw e;
    }
    return (v) => typeof v === "string" && inSet(v);
  }
  if (mods.has("re")) return regexTest(text, mods);
  let variants = [text];
  if (mods.has("windash")) variants = windashVariants(text);
  if (mods.has("base64") || mods.has("base64offset")) {
    if (/(?<!\\)[*?]/.test(text)) throw new SigmaRefusal("base64 of a wildcard", "a wildcard cannot be encoded");
    variants = variants.flatMap((t) => (mods.has("base64") ? [Buffer.from(unescape(t)).toString("base64")] : base64Offsets(unescape(t)))).map(escapeWildcards);
  }
  const tests = variants.map((t) => stringTest(t, mods));
  const cased = mods.has("cased");
  const t = tests.length === 1 ? tests[0]! : (lower: string, raw: string) => tests.some((x) => x(lower, raw));
  // Numbers compare as their decimal text: `DestinationPort: 4444` holds for port 4444.
  return (v) => {
    if (v === undefined || v === null) return false;
    const raw = typeof v === "number" ? String(v) : v;
    return t(cased ? raw : lower(raw), raw);
  };
}

// A hundred rules test the same command line: it is lowered once, not once per rule. The few
// slots are compared by identity first (the same string object comes back), then by value.
const LOWER_SLOTS = 8;
const lowIn: string[] = new Array<string>(LOWER_SLOTS).fill("");
const lowOut: string[] = new Array<string>(LOWER_SLOTS).fill("");
let lowNext = 0;
export function lower(s: string): string {
  for (let i = 0; i < LOWER_SLOTS; i++) if (lowIn[i] === s) return lowOut[i]!;
  const l = s.toLowerCase();
  lowIn[lowNext] = s;
  lowOut[lowNext] = l;
  lowNext = (lowNext + 1) % LOWER_SLOTS;
  return l;
}

type Piece = { lit: string } | { star: true } | { one: true };

/** Splits a Sigma string into literal runs and wildcards, honouring `\*`, `\?` and `\\`. */
export function pieces(s: string): Piece[] {
  const out: Piece[] = [];
  let lit = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && (s[i + 1] === "*" || s[i + 1] === "?" || s[i + 1] === "\\")) {
      lit += s[++i];
    } else if (c === "*" || c === "?") {
      if (lit) out.push({ lit });
      lit = "";
      if (c === "*") {
        if (!(out.at(-1) && "star" in out.at(-1)!)) out.push({ star: true });
      } else out.push({ one: true });
    } else lit += c;
  }
  if (lit) out.push({ lit });
  return out;
}

function unescape(s: string): string {
  return pieces(s).map((p) => ("lit" in p ? p.lit : "star" in p ? "*" : "?")).join("");
}

function escapeWildcards(s: string): string {
  return s.replace(/[\\*?]/g, (c) => `\\${c}`);
}

function stringTest(text: string, mods: ReadonlySet<string>): StrTest {
  const cased = mods.has("cased");
  let ps = pieces(cased ? text : text.toLowerCase());
  if (mods.has("contains") || mods.has("startswith")) ps = [...ps, { star: true }];
  if (mods.has("contains") || mods.has("endswith")) ps = [{ star: true }, ...ps];
  ps = ps.filter((p, i) => !("star" in p && i > 0 && "star" in ps[i - 1]!));
  const lits = ps.filter((p): p is { lit: string } => "lit" in p);
  const stars = ps.filter((p) => "star" in p).length;
  const ones = ps.length - lits.length - stars;
  // The shapes nearly every rule has, without a regex: exact, prefix, suffix, substring.
  if (ones === 0 && lits.length <= 1) {
    const l = lits[0]?.lit ?? "";
    const lead = "star" in (ps[0] ?? { lit: "" });
    const trail = ps.length > 0 && "star" in ps.at(-1)!;
    if (lits.length === 0) return ps.length === 0 ? (s) => s === "" : () => true;
    if (lead && trail) return (s) => s.includes(l);
    if (lead) return (s) => s.endsWith(l);
    if (trail) return (s) => s.startsWith(l);
    return (s) => s === l;
  }
  const body = ps.map((p) => ("lit" in p ? RE2JS.quote(p.lit) : "star" in p ? ".*" : ".")).join("");
  const re = RE2JS.compile(`^${body}$`, RE2JS.DOTALL);
  return (s) => re.matcher(s).matches();
}

function regexTest(expr: string, mods: ReadonlySet<string>): ValueTest {
  let flags = 0;
  if (mods.has("i")) flags |= RE2JS.CASE_INSENSITIVE;
  if (mods.has("m")) flags |= RE2JS.MULTILINE;
  if (mods.has("s")) flags |= RE2JS.DOTALL;
  let re: RE2JS;
  try {
    re = RE2JS.compile(expr, flags);
  } catch (e) {
    // RE2 has no backreferences or lookaround: a rule that needs them is refused, not loosened.
    throw new SigmaRefusal("regular expression outside RE2", `${JSON.stringify(expr)}: ${(e as Error).message}`);
  }
  return (v) => v !== undefined && v !== null && re.matcher(typeof v === "number" ? String(v) : v).find();
}

/** The three base64 renderings of `s` at byte offsets 0, 1 and 2, trimmed to the stable part. */
export function base64Offsets(s: string): string[] {
  const out: string[] = [];
  const bytes = Buffer.from(s);
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString("base64");
    const start = [0, 2, 3][i]!;
    const cut = [0, 3, 2][(bytes.length + i) % 3]!;
    out.push(enc.slice(start, enc.length - cut));
  }
  return out;
}

const DASHES = ["-", "/", "\u2013", "\u2014", "\u2015"];

/** Every spelling of the value with each option dash written as -, /, en dash, em dash or bar. */
export function windashVariants(s: string): string[] {
  const at: number[] = [];
  for (let i = 0; i < s.length; i++) if ((s[i] === "-" || s[i] === "/") && (i === 0 || /\W/.test(s[i - 1]!)) && /\w/.test(s[i + 1] ?? "")) at.push(i);
  if (at.length > 4) throw new SigmaRefusal("windash with more than 4 dashes", `${DASHES.length ** at.length} spellings`);
  let out = [s];
  for (const i of at) out = out.flatMap((v) => DASHES.map((d) => v.slice(0, i) + d + v.slice(i + 1)));
  return out;
}

/**
 * Substrings one of which the field must contain (lowercased) for the values to hold: the
 * longest literal run of each value. Undefined when no such bound is known (regexes, ranges,
 * encodings, a value all wildcards), and then the rule is judged without a prefilter.
 */
export function needlesOf(values: readonly SigmaScalar[], mods: ReadonlySet<string>): string[] | undefined {
  for (const m of ["re", "cidr", "exists", "lt", "lte", "gt", "gte", "windash", "base64", "base64offset"]) if (mods.has(m)) return undefined;
  const out: string[] = [];
  for (const v of values) {
    if (v === null) return undefined;
    let best = "";
    for (const p of pieces(String(v).toLowerCase())) if ("lit" in p && p.lit.length > best.length) best = p.lit;
    if (best.length < 2) {
      if (mods.has("all")) continue;
      return undefined;
    }
    out.push(best);
  }
  if (out.length === 0) return undefined;
  // Every value must hold under `all`: any one of them bounds the field; take the longest.
  return mods.has("all") ? [out.reduce((a, b) => (b.length > a.length ? b : a))] : out;
}
