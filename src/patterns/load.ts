// clawav's pattern databases (patterns/*.json, schemas/patterns.schema.json): read, checked
// entry by entry, each regex compiled in RE2 (linear time) with a bounded match length and the
// needles that find where to run it. A bad file is refused with its file, line and key.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { RE2JS } from "re2js";
import { z } from "zod";
import { CATEGORIES, SEVERITIES } from "../events/index.js";
import { maxMatchLength } from "./bound.js";
import { VALIDATORS } from "./validate.js";

export const DB_NAMES = ["injection", "commands", "privacy", "supply-chain"] as const;
export type DbName = (typeof DB_NAMES)[number];

/** Longest match a database regex may have: its needle's window is this wide on each side. */
export const MAX_REGEX_LENGTH = 512;

const entrySchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "lower-case letters, digits, . and -"),
    description: z.string().min(1),
    severity: z.enum(SEVERITIES),
    /** What a user of the database should do on a match: alert; block it; warn; redact the match (privacy). */
    action: z.enum(["alert", "block", "warn", "redact"]).default("alert"),
    category: z.enum(CATEGORIES).optional(),
    mitre: z.array(z.string().regex(/^T\d{4}(\.\d{3})?$/, "an ATT&CK id such as T1059.004")).optional(),
    /** Literal phrases, matched case-insensitively on word boundaries. */
    phrases: z.array(z.string().min(3)).min(1).optional(),
    /** A regex in RE2 syntax, with a bounded match length. */
    regex: z.string().min(1).optional(),
    /**
     * For a regex: literals (case-insensitive), one of which every match contains; "\\bword" counts
     * only at the start of a word; "\\d" (exactly) stands for any ASCII digit: the regex runs
     * around each run of digits.
     */
    needles: z.array(z.string().min(1)).min(1).optional(),
    /** For a regex: a check each match must pass to count (a card's Luhn sum, an IBAN's mod 97, a US SSN's ranges). */
    validate: z.enum(VALIDATORS).optional(),
    /**
     * With the "\\d" needle: every match holds at least this many digits, in runs at most 3
     * characters apart; only such clusters of digits get a window (a log's short numbers do not).
     */
    digits: z.number().int().min(1).max(64).optional(),
    packages: z.array(z.strictObject({ ecosystem: z.enum(["npm", "pypi", "cargo", "go"]), name: z.string().min(1), versions: z.array(z.string()).optional() })).min(1).optional(),
    domains: z.array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, "a lower-case domain name")).min(1).optional(),
    sha256: z.array(z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits")).min(1).optional(),
  })
  .superRefine((e, ctx) => {
    const kinds = (["phrases", "regex", "packages", "domains", "sha256"] as const).filter((k) => e[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: "custom", message: `exactly one of phrases, regex, packages, domains, sha256 (found ${kinds.length === 0 ? "none" : kinds.join(", ")})` });
    if (e.regex !== undefined && e.needles === undefined) ctx.addIssue({ code: "custom", path: ["needles"], message: "a regex needs needles: literals one of which every match contains (they find where to run it)" });
    if (e.needles !== undefined && e.regex === undefined) ctx.addIssue({ code: "custom", path: ["needles"], message: "needles go with a regex" });
    if (e.digits !== undefined && !(e.needles ?? []).includes("\\d")) ctx.addIssue({ code: "custom", path: ["digits"], message: 'digits goes with the needle "\\d": the least number of digits every match holds' });
    if (e.validate !== undefined && e.regex === undefined) ctx.addIssue({ code: "custom", path: ["validate"], message: `validate goes with a regex: it checks each of the regex's matches (${VALIDATORS.join(", ")})` });
  });

const dbSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.enum(DB_NAMES),
  version: z.string().regex(/^\d+\.\d+\.\d+$/, "a version such as 1.2.0"),
  updated: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date, YYYY-MM-DD"),
  description: z.string().optional(),
  entries: z.array(entrySchema).min(1),
});

export type PatternEntry = z.infer<typeof entrySchema>;
export interface CompiledEntry extends PatternEntry {
  db: string;
  re?: RE2JS;
  /**
   * The same regex in V8, for the windows around needles: a bounded regex on a bounded window does
   * bounded work, so matching stays linear in the text, at a tenth of re2js's cost per window.
   * Absent when V8 reads the source otherwise (RE2's \x{...}); re2js then does it.
   */
  js?: RegExp;
  /** The regex's longest match, for its window around a needle. */
  maxLen?: number;
}
export interface PatternDb {
  name: string;
  version: string;
  updated: string;
  file: string;
  entries: CompiledEntry[];
}

export class PatternError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly key: string | undefined,
    message: string,
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ""}: ${key ? `${key}: ` : ""}${message}`);
  }
}

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** The line of entries[i] (the i-th `"id":` of the file), else of the top-level key. */
function lineOf(text: string, path: readonly PropertyKey[]): number | undefined {
  if (path[0] === "entries" && typeof path[1] === "number") {
    const re = /"id"\s*:/g;
    let m: RegExpExecArray | null = null;
    for (let k = 0; k <= path[1]; k++) m = re.exec(text);
    if (m) {
      if (typeof path[2] === "string") {
        const key = new RegExp(`"${path[2]}"\\s*:`, "g");
        key.lastIndex = m.index;
        const km = key.exec(text);
        if (km) return lineAt(text, km.index);
      }
      return lineAt(text, m.index);
    }
  }
  if (typeof path[0] === "string") {
    const i = text.indexOf(`"${path[0]}"`);
    if (i >= 0) return lineAt(text, i);
  }
  return undefined;
}

export function parsePatternDb(text: string, file: string): PatternDb {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message);
    throw new PatternError(file, pos ? lineAt(text, Number(pos[1])) : undefined, undefined, `not JSON: ${(e as Error).message}`);
  }
  const r = dbSchema.safeParse(data);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    throw new PatternError(file, lineOf(text, iss.path), iss.path.map(String).join("."), iss.message);
  }
  const db = r.data;
  const seen = new Set<string>();
  const entries: CompiledEntry[] = db.entries.map((e, i) => {
    if (seen.has(e.id)) throw new PatternError(file, lineOf(text, ["entries", i]), `entries.${i}.id`, `"${e.id}" is used twice`);
    seen.add(e.id);
    if (e.regex === undefined) return { ...e, db: db.name };
    let re: RE2JS;
    try {
      re = RE2JS.compile(e.regex, RE2JS.CASE_INSENSITIVE);
    } catch (err) {
      throw new PatternError(file, lineOf(text, ["entries", i, "regex"]), `entries.${i}.regex`, `not an RE2 regex: ${(err as Error).message}`);
    }
    // A regex runs on a window of the text: an anchor would anchor to the window's edge.
    if (hasAnchor(e.regex)) throw new PatternError(file, lineOf(text, ["entries", i, "regex"]), `entries.${i}.regex`, "an anchor (^, $, \\A, \\z) cannot be used: the regex runs on a window around its needle; use \\b");
    const maxLen = maxMatchLength(e.regex);
    if (maxLen > MAX_REGEX_LENGTH) throw new PatternError(file, lineOf(text, ["entries", i, "regex"]), `entries.${i}.regex`, `can match ${maxLen === Infinity ? "text of any length (*, + or {n,})" : `${maxLen} characters`}; at most ${MAX_REGEX_LENGTH}: bound it ({0,80})`);
    return { ...e, db: db.name, re, maxLen, ...(jsTwin(e.regex) ? { js: jsTwin(e.regex)! } : {}) };
  });
  if (basename(file, ".json") !== db.name) throw new PatternError(file, lineOf(text, ["name"]), "name", `the file is ${basename(file)} but names the database "${db.name}"`);
  return { name: db.name, version: db.version, updated: db.updated, file, entries };
}

/** The regex in V8's syntax, when it reads the same there (no RE2-only escapes, no inline flags). */
function jsTwin(src: string): RegExp | undefined {
  if (/\\x\{|\(\?[a-zA-Z]|\\[pPQEAzC]|\[\[:/.test(src)) return undefined;
  try {
    return new RegExp(src, "i");
  } catch {
    return undefined;
  }
}

/** An anchor outside a character class (a ^ that negates a class is not one). */
function hasAnchor(src: string): boolean {
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\") {
      if (!inClass && (src[i + 1] === "A" || src[i + 1] === "z")) return true;
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      if (src[i + 1] === "^") i++;
      if (src[i + 1] === "]") i++;
      continue;
    }
    if (c === "^" || c === "$") return true;
  }
  return false;
}

export function loadPatternDb(file: string): PatternDb {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new PatternError(file, undefined, undefined, `cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parsePatternDb(text, file);
}
