import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node, type Pair } from "yaml";
import { CATEGORIES, SEVERITIES, type Category, type Severity } from "../../events/index.js";
import { didYouMean, formatPosition, UserError, EXIT } from "../../errors/index.js";
import { parseDurationMs } from "../../config/index.js";
import type { SigmaRule } from "../sigma/index.js";
import { compileMatch, DESTINATION_KEYS, MATCH_KEYS, MatchSyntaxError, type Matcher, type MatchSpec } from "./match.js";

export const ENFORCEMENTS = ["none", "kill", "kill_tree", "deny", "ask", "allow"] as const;
export type Enforcement = (typeof ENFORCEMENTS)[number];

const RULE_KEYS = ["name", "description", "match", "sequence", "action", "enforcement", "quarantine", "enabled", "exceptions", "category", "mitre"] as const;
const SEQUENCE_KEYS = ["by", "within", "steps"] as const;
export const SEQUENCE_BY = ["agent", "parent", "process"] as const;

/** Steps matched in order by one agent (or parent, or process) within a time window. */
export interface SequenceSpec {
  by: (typeof SEQUENCE_BY)[number];
  withinMs: number;
  steps: { spec: MatchSpec; match: Matcher }[];
}
/** `action: block` in older policies means critical, with enforcement left to the rule. */
const ACTIONS = [...SEVERITIES, "alert", "block"] as const;

export interface PolicyRule {
  name: string;
  description?: string;
  severity: Severity;
  category: Category;
  enforcement: Enforcement;
  quarantine: boolean;
  enabled: boolean;
  spec: MatchSpec;
  match: Matcher;
  exceptions: Matcher[];
  /** ATT&CK technique ids the rule names (`mitre: [T1552.004]`). */
  mitre?: string[];
  /** A rule over several events: fires when its steps have matched in order within the window. */
  sequence?: SequenceSpec;
  /** file:line of the rule, for "why did this fire". */
  origin: string;
  /** A Sigma rule: judged by its own detection on the whole event instead of `match`. */
  sigma?: SigmaRule;
}

export interface PolicyError {
  file: string;
  line?: number;
  column?: number;
  key?: string;
  message: string;
}

export function formatPolicyError(e: PolicyError): string {
  return `${formatPosition(e)}: ${e.key !== undefined ? `${e.key}: ` : ""}${e.message}`;
}

/** Every error of every file, one per line; a UserError so the CLI prints it without a stack. */
export class PolicyLoadError extends UserError {
  readonly errors: PolicyError[];
  constructor(errors: PolicyError[]) {
    super(`policy errors:\n${errors.map(formatPolicyError).join("\n")}`, EXIT.DATAERR);
    this.name = "PolicyLoadError";
    this.errors = errors;
  }
}

/** The *.yaml / *.yml files (any case) of each folder in order (sorted by name); a missing folder is skipped. */
/** clawsudo's rules live beside the detection policies but are only clawsudo's to read. */
export const isClawsudoPolicyFile = (name: string): boolean => /^clawsudo[^/]*\.ya?ml$/i.test(name);

/** Largest policy file read: a policy is a page of rules, and a 10 MB one took seconds and a GB to parse. */
export const MAX_POLICY_BYTES = 1 << 20;

export function policyFiles(dirs: readonly string[], want: (name: string) => boolean = (n) => !isClawsudoPolicyFile(n)): string[] {
  const files: string[] = [];
  for (const d of dirs) {
    let st;
    try {
      st = statSync(d);
    } catch {
      continue;
    }
    if (st.isFile()) {
      files.push(d);
      continue;
    }
    for (const f of readdirSync(d).sort()) if (/\.ya?ml$/i.test(f) && want(f)) files.push(join(d, f));
  }
  return files;
}

export function loadPolicies(dirs: readonly string[], want?: (name: string) => boolean): { rules: PolicyRule[]; errors: PolicyError[]; files: string[] } {
  const rules: PolicyRule[] = [];
  const errors: PolicyError[] = [];
  const files = policyFiles(dirs, want);
  for (const f of files) {
    let text: string;
    try {
      const size = statSync(f).size;
      if (size > MAX_POLICY_BYTES) {
        errors.push({ file: f, message: `${size} bytes, over the ${MAX_POLICY_BYTES} a policy file may have: split it into several files` });
        continue;
      }
      text = readFileSync(f, "utf8");
    } catch (e) {
      errors.push({ file: f, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    const r = parsePolicyText(text, f);
    rules.push(...r.rules);
    errors.push(...r.errors);
  }
  // A later file's rule with the same name replaces the earlier one (local override of a shipped rule).
  const byName = new Map<string, PolicyRule>();
  for (const r of rules) byName.set(r.name, r);
  return { rules: [...byName.values()], errors, files };
}

/** Parses a policy file; `otherKeys` are top-level keys a file of another kind (an agent profile) owns. */
export function parsePolicyText(text: string, file: string, otherKeys: readonly string[] = []): { rules: PolicyRule[]; errors: PolicyError[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const errors: PolicyError[] = [];
  const at = (node: Node | Pair | null | undefined, key: string | undefined, message: string) => {
    const range = node && "range" in node ? node.range : node && "key" in node && node.key && typeof node.key === "object" && "range" in node.key ? (node.key as Node).range : undefined;
    const pos = range ? lc.linePos(range[0]) : undefined;
    errors.push({ file, ...(pos ? { line: pos.line, column: pos.col } : {}), ...(key !== undefined ? { key } : {}), message });
  };
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    errors.push({ file, ...(pos ? { line: pos.line, column: pos.col } : {}), message: e.message.split("\n")[0]! });
  }
  if (errors.length > 0) return { rules: [], errors };
  const root = doc.contents;
  if (root === null) return { rules: [], errors };
  if (!isMap(root)) {
    at(root, undefined, "expected a mapping with a `rules:` list");
    return { rules: [], errors };
  }
  const rules: PolicyRule[] = [];
  for (const pair of root.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : "";
    if (otherKeys.includes(k)) continue;
    if (k !== "rules") {
      at(pair.key, k, unknownKey(k, ["rules", ...otherKeys]));
      continue;
    }
    if (!isSeq(pair.value)) {
      at(pair.value, "rules", "expected a list of rules");
      continue;
    }
    const seen = new Set<string>();
    pair.value.items.forEach((item, i) => {
      const rule = parseRule(item, `rules[${i}]`, at, file, lc);
      if (!rule) return;
      if (seen.has(rule.name)) at(item, `rules[${i}].name`, `duplicate rule name ${JSON.stringify(rule.name)} in this file`);
      seen.add(rule.name);
      rules.push(rule);
    });
  }
  return { rules: errors.length > 0 ? [] : rules, errors };
}

type At = (node: Node | Pair | null | undefined, key: string | undefined, message: string) => void;

function unknownKey(k: string, known: readonly string[]): string {
  const dym = didYouMean(k, known);
  return `unknown key${dym ? ` (did you mean "${dym}"?)` : ""}; expected one of ${known.join(", ")}`;
}

function parseRule(node: Node, path: string, outer: At, file: string, lc: LineCounter): PolicyRule | undefined {
  let bad = false;
  const at: At = (n, k, m) => {
    bad = true;
    outer(n, k, m);
  };
  if (!isMap(node)) {
    at(node, path, "expected a mapping (name, match, action, ...)");
    return undefined;
  }
  const get = new Map<string, Pair>();
  for (const p of node.items) {
    const k = isScalar(p.key) ? String(p.key.value) : "";
    if (!(RULE_KEYS as readonly string[]).includes(k)) at(p.key as Node, `${path}.${k}`, unknownKey(k, RULE_KEYS));
    else get.set(k, p);
  }
  const str = (k: string, required: boolean): string | undefined => {
    const p = get.get(k);
    if (!p) {
      if (required) at(node, `${path}.${k}`, "missing");
      return undefined;
    }
    if (!isScalar(p.value) || typeof p.value.value !== "string" || p.value.value === "") {
      at(p.value as Node, `${path}.${k}`, "expected a non-empty string");
      return undefined;
    }
    return p.value.value;
  };
  const bool = (k: string, dflt: boolean): boolean => {
    const p = get.get(k);
    if (!p) return dflt;
    if (!isScalar(p.value) || typeof p.value.value !== "boolean") {
      at(p.value as Node, `${path}.${k}`, "expected true or false");
      return dflt;
    }
    return p.value.value;
  };
  const oneOf = <T extends string>(k: string, values: readonly T[], dflt: T): T => {
    const v = str(k, false);
    if (v === undefined) return dflt;
    if (!(values as readonly string[]).includes(v)) {
      const dym = didYouMean(v, values);
      at(get.get(k)!.value as Node, `${path}.${k}`, `${JSON.stringify(v)} is not one of ${values.join(", ")}${dym ? ` (did you mean "${dym}"?)` : ""}`);
      return dflt;
    }
    return v as T;
  };
  const name = str("name", true);
  const description = str("description", false);
  const action = oneOf("action", ACTIONS, "warning");
  const enforcement = oneOf("enforcement", ENFORCEMENTS, "none");
  const quarantine = bool("quarantine", false);
  const enabled = bool("enabled", true);
  const explicitCategory = get.has("category") ? oneOf("category", CATEGORIES, "EXECUTION") : undefined;
  let mitre: string[] | undefined;
  const mitrePair = get.get("mitre");
  if (mitrePair) {
    const v = mitrePair.value as Node;
    const items = isSeq(v) ? v.items : [v];
    mitre = [];
    for (const it of items) {
      const text = isScalar(it) ? String(it.value) : "";
      if (!/^T\d{4}(\.\d{3})?$/.test(text)) at(it as Node, `${path}.mitre`, `${JSON.stringify(text)} is not an ATT&CK technique id (like T1552.004)`);
      else mitre.push(text);
    }
  }
  const matchPair = get.get("match");
  let spec: MatchSpec | undefined;
  let match: Matcher | undefined;
  const seqPair = get.get("sequence");
  let sequence: SequenceSpec | undefined;
  if (seqPair) {
    if (matchPair) at(matchPair.key as Node, `${path}.match`, "a rule has either match or sequence, not both");
    sequence = parseSequence(seqPair.value as Node, `${path}.sequence`, at);
    // The rule's own match is its last step: that is the event the alert is about.
    if (sequence) {
      const last = sequence.steps[sequence.steps.length - 1]!;
      spec = last.spec;
      match = last.match;
    }
  } else if (!matchPair) at(node, `${path}.match`, "missing (or give a sequence)");
  else {
    spec = parseMatchBlock(matchPair.value as Node, `${path}.match`, at);
    if (spec) match = compileAt(spec, matchPair.value as Node, `${path}.match`, at);
  }
  const exceptions: Matcher[] = [];
  const exPair = get.get("exceptions");
  if (exPair) {
    if (!isSeq(exPair.value)) at(exPair.value as Node, `${path}.exceptions`, "expected a list of match blocks");
    else
      exPair.value.items.forEach((it, i) => {
        const s = parseMatchBlock(it as Node, `${path}.exceptions[${i}]`, at);
        const m = s && compileAt(s, it as Node, `${path}.exceptions[${i}]`, at);
        if (m) exceptions.push(m);
      });
  }
  if (bad || name === undefined || !spec || !match) return undefined;
  const severity: Severity = action === "alert" ? "warning" : action === "block" ? "critical" : action;
  const pos = lc.linePos(node.range?.[0] ?? 0);
  return {
    name,
    ...(description !== undefined ? { description } : {}),
    severity,
    category: explicitCategory ?? inferCategory(spec),
    enforcement: action === "block" && enforcement === "none" ? "deny" : enforcement,
    quarantine,
    enabled,
    spec,
    match,
    exceptions,
    ...(mitre && mitre.length > 0 ? { mitre } : {}),
    ...(sequence ? { sequence } : {}),
    origin: `${file}:${pos.line}`,
  };
}


function parseSequence(node: Node, path: string, at: At): SequenceSpec | undefined {
  if (!isMap(node)) {
    at(node, path, "expected a mapping with by, within and steps");
    return undefined;
  }
  let by: SequenceSpec["by"] = "agent";
  let withinMs: number | undefined;
  let sawWithin = false;
  const steps: SequenceSpec["steps"] = [];
  let ok = true;
  for (const p of node.items) {
    const k = isScalar(p.key) ? String(p.key.value) : "";
    const v = p.value as Node;
    if (k === "by") {
      const t = isScalar(v) ? String(v.value) : "";
      if (!(SEQUENCE_BY as readonly string[]).includes(t)) {
        at(v, `${path}.by`, `${JSON.stringify(t)} is not one of ${SEQUENCE_BY.join(", ")}`);
        ok = false;
      } else by = t as SequenceSpec["by"];
    } else if (k === "within") {
      sawWithin = true;
      const d = isScalar(v) ? parseDurationMs(String(v.value)) : undefined;
      if (d === undefined || d <= 0 || d > 24 * 3_600_000) {
        at(v, `${path}.within`, "expected a duration up to 24h, like 30s, 10m or 2h");
        ok = false;
      } else withinMs = d;
    } else if (k === "steps") {
      if (!isSeq(v) || v.items.length < 2 || v.items.length > 8) {
        at(v, `${path}.steps`, "expected a list of 2 to 8 steps, each a mapping with match");
        ok = false;
        continue;
      }
      v.items.forEach((it, i) => {
        const sp = `${path}.steps[${i}]`;
        if (!isMap(it) || it.items.length !== 1 || !isScalar(it.items[0]!.key) || String(it.items[0]!.key.value) !== "match") {
          at(it as Node, sp, "expected a mapping with one key, match");
          ok = false;
          return;
        }
        const mnode = it.items[0]!.value as Node;
        const spec = parseMatchBlock(mnode, `${sp}.match`, at);
        const m = spec && compileAt(spec, mnode, `${sp}.match`, at);
        if (spec && m) steps.push({ spec, match: m });
        else ok = false;
      });
    } else {
      at(p.key as Node, `${path}.${k}`, unknownKey(k, SEQUENCE_KEYS));
      ok = false;
    }
  }
  if (withinMs === undefined) {
    if (!sawWithin) at(node, `${path}.within`, "missing");
    return undefined;
  }
  return ok && steps.length >= 2 ? { by, withinMs, steps } : undefined;
}

function compileAt(spec: MatchSpec, node: Node, path: string, at: At): Matcher | undefined {
  try {
    return compileMatch(spec);
  } catch (e) {
    if (e instanceof MatchSyntaxError) {
      at(node, path, e.message);
      return undefined;
    }
    throw e;
  }
}

function inferCategory(s: MatchSpec): Category {
  if (s.category?.length === 1 && (CATEGORIES as readonly string[]).includes(s.category[0]!)) return s.category[0] as Category;
  if (s.file_access?.length) return "CRED_ACCESS";
  if (s.destination) return "DATA_EXFIL";
  if (s.command?.some((c) => ["curl", "wget", "nc", "ncat", "socat", "scp", "rsync"].includes(c))) return "DATA_EXFIL";
  if (s.command_contains?.some((c) => /ufw|iptables|auditctl|setenforce|systemctl stop/.test(c))) return "SEC_TAMPER";
  return "EXECUTION";
}

const LIST_KEYS = new Set(["command", "command_contains", "args", "file_access", "exclude_args", "exe", "parent", "user", "agent", "category"]);

export function parseMatchBlock(node: Node, path: string, at: At): MatchSpec | undefined {
  if (!isMap(node)) {
    at(node, path, `expected a mapping with keys among ${MATCH_KEYS.join(", ")}`);
    return undefined;
  }
  const spec: MatchSpec = {};
  let ok = true;
  const fail: At = (n, k, m) => {
    ok = false;
    at(n, k, m);
  };
  for (const p of node.items) {
    const k = isScalar(p.key) ? String(p.key.value) : "";
    const kp = `${path}.${k}`;
    if (!(MATCH_KEYS as readonly string[]).includes(k)) {
      fail(p.key as Node, kp, unknownKey(k, MATCH_KEYS));
      continue;
    }
    if (LIST_KEYS.has(k)) {
      const list = scalarList(p.value as Node, kp, fail, k === "user");
      if (!list) continue;
      if (k === "category")
        for (const c of list) if (!(CATEGORIES as readonly string[]).includes(String(c))) fail(p.value as Node, kp, `${JSON.stringify(c)} is not a category (${CATEGORIES.join(", ")})`);
      (spec as Record<string, unknown>)[k] = list;
      continue;
    }
    // destination
    if (!isMap(p.value)) {
      fail(p.value as Node, kp, "expected a mapping with host, cidr and/or port");
      continue;
    }
    const d: NonNullable<MatchSpec["destination"]> = {};
    for (const dp of p.value.items) {
      const dk = isScalar(dp.key) ? String(dp.key.value) : "";
      if (!(DESTINATION_KEYS as readonly string[]).includes(dk)) {
        fail(dp.key as Node, `${kp}.${dk}`, unknownKey(dk, DESTINATION_KEYS));
        continue;
      }
      const list = scalarList(dp.value as Node, `${kp}.${dk}`, fail, dk === "port");
      if (list) (d as Record<string, unknown>)[dk] = dk === "port" ? list : list.map(String);
    }
    spec.destination = d;
  }
  if (ok && Object.keys(spec).length === 0) fail(node, path, "empty match block matches nothing");
  if (ok && spec.exclude_args && Object.keys(spec).length === 1) fail(node, path, "exclude_args alone matches nothing; add what to match");
  return ok ? spec : undefined;
}

/** A string or a list of strings (numbers allowed where `numbers`); one value means a list of one. */
function scalarList(node: Node, path: string, at: At, numbers: boolean): (string | number)[] | undefined;
function scalarList(node: Node, path: string, at: At, numbers: false): string[] | undefined;
function scalarList(node: Node, path: string, at: At, numbers: boolean): (string | number)[] | undefined {
  const items = isSeq(node) ? (node.items as Node[]) : [node];
  const out: (string | number)[] = [];
  for (const it of items) {
    if (isScalar(it) && typeof it.value === "string" && it.value !== "") out.push(it.value);
    else if (numbers && isScalar(it) && typeof it.value === "number" && Number.isInteger(it.value)) out.push(it.value);
    else {
      at(it, path, numbers ? "expected a string or an integer (or a list of them)" : "expected a non-empty string (or a list of them)");
      return undefined;
    }
  }
  if (out.length === 0) {
    at(node, path, "empty list");
    return undefined;
  }
  return out;
}
