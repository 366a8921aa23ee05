// A Sigma rule file (YAML, the current specification) becomes a compiled rule, a refusal that
// names what clawav does not evaluate, or a syntax error with its line.
import { basename } from "node:path";
import { isMap, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import type { Category, Severity } from "../../events/index.js";
import { MITRE_ID } from "../mitre.js";
import { categoryOfTactic } from "../tactics.js";
import { parseCondition, predOf, type CondAst, type Pred } from "./condition.js";
import { SigmaRefusal, SigmaSyntaxError } from "./errors.js";
import { checkAuditdField, fieldGetter, LOG_SOURCES, serviceFilter, type AuditView, type Getter, type LogSource, type SigmaInput } from "./fields.js";
import { compileValues, needlesOf, parseModifiers, type FieldValue, type SigmaScalar } from "./value.js";

/** A necessary condition of a selection or rule: the field holds one of the needles (lowercased). */
type Atoms = { field: string; needle: string }[] | undefined;
interface Compiled<T> {
  pred: Pred<T>;
  atoms: Atoms;
}

export const SIGMA_LEVELS = ["informational", "low", "medium", "high", "critical"] as const;
type Level = (typeof SIGMA_LEVELS)[number];

const SEVERITY_OF: Record<Level, Severity> = { informational: "info", low: "info", medium: "warning", high: "critical", critical: "critical" };

export interface SigmaRule {
  /** clawav's name for it: `sigma/` and the file name without .yml (SigmaHQ names files for what they find). */
  name: string;
  id?: string;
  title: string;
  description?: string;
  level: Level;
  severity: Severity;
  category: Category;
  mitre: string[];
  logsource: LogSource;
  file: string;
  /** Does the rule hold for this event? */
  matches(x: SigmaInput): boolean;
  /**
   * Lowercased needles by field, one of which the event (auditd: the record) must hold for the
   * rule to match; absent when the rule implies none. A SigmaSet indexes rules by them.
   */
  needles?: ReadonlyMap<string, readonly string[]>;
  /** The rule's own test without the needle check: on the event, or for auditd on one record. */
  judge: { on: "event"; pred: Pred<SigmaInput> } | { on: "record"; pred: Pred<AuditView> };
  /** The selections that held, for "why did it match" (auditd: with the record each held in). */
  why(x: SigmaInput): string[];
}

export type SigmaFileResult =
  | { file: string; rule: SigmaRule }
  | { file: string; title?: string; refused: SigmaRefusal }
  | { file: string; error: string; line?: number; key?: string };

export function compileSigmaText(text: string, file: string): SigmaFileResult {
  const lc = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true }) as Document.Parsed[];
  } catch (e) {
    return { file, error: `not YAML: ${(e as Error).message}` };
  }
  if (!Array.isArray(docs)) return { file, error: "not YAML" };
  const lineOf = (n: Node | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : undefined);
  for (const d of docs) {
    const err = d.errors[0];
    if (err) return { file, error: err.message.split("\n")[0]!, line: lc.linePos(err.pos[0]).line };
  }
  if (docs.length !== 1) return { file, refused: new SigmaRefusal("rule collection", `${docs.length} YAML documents in one file; write one rule per file`) };
  const doc = docs[0]!;
  if (!isMap(doc.contents)) return { file, error: "a Sigma rule is a YAML mapping (title, logsource, detection, ...)", line: 1 };
  let js: Record<string, unknown>;
  try {
    // An alias to an anchor never set, or one that expands past yaml's bound, throws here, not as a parse error.
    js = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch (e) {
    return { file, error: `not a usable YAML document: ${(e as Error).message}` };
  }
  const title = typeof js.title === "string" ? js.title : undefined;
  const at = (...path: (string | number)[]) => lineOf(doc.getIn(path, true) as Node | undefined);
  try {
    if (title === undefined || title.trim() === "") throw new SigmaSyntaxError("title: a rule needs a title (a string)", 1);
    return { file, rule: compileRule(js, title, file, at) };
  } catch (e) {
    if (e instanceof SigmaRefusal) return { file, title, refused: e };
    if (e instanceof SigmaSyntaxError) {
      const m = /^([\w.|-]+): /.exec(e.message);
      return { file, error: m ? e.message.slice(m[0].length) : e.message, ...(e.line !== undefined ? { line: e.line } : {}), ...(m ? { key: m[1]! } : {}) };
    }
    throw e;
  }
}

type LineAt = (...path: (string | number)[]) => number | undefined;

function compileRule(js: Record<string, unknown>, title: string, file: string, at: LineAt): SigmaRule {
  const status = js.status;
  if (status === "unsupported") throw new SigmaRefusal("status unsupported", "SigmaHQ marks the rule as not implementable by a converter");
  const level = js.level ?? "medium";
  if (typeof level !== "string" || !(SIGMA_LEVELS as readonly string[]).includes(level)) throw new SigmaSyntaxError(`level: ${JSON.stringify(level)} is not one of ${SIGMA_LEVELS.join(", ")}`, at("level"));
  const tags = js.tags === undefined ? [] : js.tags;
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) throw new SigmaSyntaxError("tags: a list of strings", at("tags"));
  const { logsource, service } = logSourceOf(js.logsource, at);
  const det = js.detection;
  if (det === null || typeof det !== "object" || Array.isArray(det)) throw new SigmaSyntaxError("detection: a mapping of selections and a condition", at("detection") ?? 1);
  const detection = det as Record<string, unknown>;
  if ("timeframe" in detection) throw new SigmaRefusal("timeframe", "a time window over several events is a Sigma correlation");
  const cond = detection.condition;
  const conds = typeof cond === "string" ? [cond] : Array.isArray(cond) && cond.length > 0 && cond.every((c) => typeof c === "string") ? (cond) : undefined;
  if (!conds) throw new SigmaSyntaxError("detection.condition: a condition (a string) is required", at("detection", "condition") ?? at("detection"));

  const tacticTags = (tags as string[]).map((t) => t.toLowerCase()).filter((t) => t.startsWith("attack.")).map((t) => t.slice(7));
  const category = tacticTags.map(categoryOfTactic).find((c) => c !== undefined) ?? "EXECUTION";
  const mitre = [...new Set(tacticTags.map((t) => t.toUpperCase()).filter((t) => MITRE_ID.test(t)))];
  const base = {
    name: `sigma/${basename(file).replace(/\.ya?ml$/i, "")}`,
    ...(typeof js.id === "string" ? { id: js.id } : {}),
    title,
    ...(typeof js.description === "string" ? { description: js.description.trim() } : {}),
    level: level as Level,
    severity: SEVERITY_OF[level as Level],
    category,
    mitre,
    logsource,
    file,
  };
  const names = Object.keys(detection).filter((k) => k !== "condition");
  if (logsource === "auditd") {
    const sels = new Map<string, Compiled<AuditView>>();
    for (const n of names) sels.set(n, compileSelection<AuditView>(detection[n], `detection.${n}`, at("detection", n), (f) => {
      checkAuditdField(f);
      return (r) => r.fields.get(f);
    }, (r) => r.texts));
    const { pred, needles } = anyCondition(conds, sels, at("detection", "condition"));
    const preds = new Map([...sels].map(([n, c]) => [n, c.pred]));
    return {
      ...base,
      ...(needles ? { needles } : {}),
      judge: { on: "record", pred },
      matches: (x) => x.records.some(pred),
      why: (x) => x.records.filter(pred).flatMap((r) => [...preds].filter(([, p]) => p(r)).map(([n]) => `${n} (${r.type} record)`)),
    };
  }
  const getters = new Map<string, Getter>();
  const sels = new Map<string, Compiled<SigmaInput>>();
  for (const n of names) sels.set(n, compileSelection<SigmaInput>(detection[n], `detection.${n}`, at("detection", n), (f) => {
    let g = getters.get(f);
    if (!g) getters.set(f, (g = fieldGetter(logsource, f)));
    return g;
  }, keywordTexts(logsource)));
  const compiled = anyCondition(conds, sels, at("detection", "condition"));
  const needles = compiled.needles;
  const pred = service ? (x: SigmaInput) => service(x) && compiled.pred(x) : compiled.pred;
  const preds = new Map([...sels].map(([n, c]) => [n, c.pred]));
  return { ...base, ...(needles ? { needles } : {}), judge: { on: "event", pred }, matches: pred, why: (x) => [...preds].filter(([, p]) => p(x)).map(([n]) => n) };
}

function anyCondition<T>(conds: string[], sels: Map<string, Compiled<T>>, line: number | undefined): { pred: Pred<T>; needles?: Map<string, string[]> } {
  let asts: CondAst[];
  try {
    asts = conds.map((c) => parseCondition(c, [...sels.keys()]));
  } catch (e) {
    if (e instanceof SigmaSyntaxError) throw new SigmaSyntaxError(`detection.condition: ${e.message}`, line);
    throw e;
  }
  const ast: CondAst = asts.length === 1 ? asts[0]! : { op: "or", kids: asts };
  const pred = predOf(ast, new Map([...sels].map(([n, c]) => [n, c.pred])));
  const atoms = atomsOf(ast, sels);
  if (!atoms) return { pred };
  const needles = new Map<string, string[]>();
  for (const a of atoms) needles.set(a.field, [...new Set([...(needles.get(a.field) ?? []), a.needle])]);
  return { pred, needles };
}

/** The needles a whole condition implies: any conjunct's, or every disjunct's; none through `not`. */
function atomsOf<T>(ast: CondAst, sels: ReadonlyMap<string, Compiled<T>>): Atoms {
  switch (ast.op) {
    case "sel":
      return sels.get(ast.name)!.atoms;
    case "not":
      return undefined;
    case "or": {
      const all: NonNullable<Atoms> = [];
      for (const k of ast.kids) {
        const a = atomsOf(k, sels);
        if (!a) return undefined;
        all.push(...a);
      }
      return all;
    }
    case "and":
      return best(ast.kids.map((k) => atomsOf(k, sels)));
  }
}

/** Of several necessary conditions, the most selective: the longest shortest needle, then the fewest. */
function best(cands: Atoms[]): Atoms {
  let out: Atoms;
  // An audit record's type splits events into a handful of kinds: any other field says more.
  const score = (a: NonNullable<Atoms>) => Math.min(...a.map((x) => x.needle.length)) * 1000 - a.length - (a.every((x) => x.field === "type") ? 1e6 : 0);
  for (const c of cands) if (c && c.length > 0 && (!out || score(c) > score(out))) out = c;
  return out;
}

/** What keywords (values with no field) are searched in, per log source. */
function keywordTexts(src: Exclude<LogSource, "auditd">): (x: SigmaInput) => readonly string[] {
  if (src === "file_event") return (x) => [x.commandLine, x.e.file?.path ?? ""];
  if (src === "syslog") return (x) => [x.logLine];
  if (src === "network_connection") return (x) => [x.commandLine, x.e.net?.address ?? "", x.e.net?.resolved_host ?? x.e.net?.host ?? ""];
  return (x) => [x.commandLine];
}

function logSourceOf(v: unknown, at: LineAt): { logsource: LogSource; service?: (x: SigmaInput) => boolean } {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new SigmaSyntaxError("logsource: a mapping (product, category, service)", at("logsource") ?? 1);
  const ls = v as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const x = ls[k];
    if (x === undefined || x === null) return undefined;
    if (typeof x !== "string") throw new SigmaSyntaxError(`logsource.${k}: a string`, at("logsource", k));
    return x;
  };
  const product = str("product");
  if (product !== undefined && product !== "linux") throw new SigmaRefusal(`logsource product ${product}`, "clawav watches Linux");
  const category = str("category");
  const service = str("service");
  if (category !== undefined && service !== undefined) throw new SigmaRefusal(`logsource ${category}/${service}`, "a category and a service together name no source clawav has");
  if (service === "auditd") return { logsource: "auditd" };
  if (category === undefined) {
    // Sigma's builtin rules: the system's log lines, as the syslog source reads them.
    const f = serviceFilter(service);
    if (!f) throw new SigmaRefusal(`logsource service ${service}`, "clawav reads audit records and rsyslog's auth.log and syslog; this service's log is neither");
    return { logsource: "syslog", service: f };
  }
  if ((LOG_SOURCES as readonly string[]).includes(category) && category !== "auditd" && category !== "syslog") return { logsource: category as LogSource };
  throw new SigmaRefusal(`logsource category ${category}`, `clawav has ${LOG_SOURCES.filter((s) => s !== "auditd").join(", ")} and the auditd service`);
}

type FieldOf<T> = (field: string) => (x: T) => FieldValue;

/**
 * A selection: a mapping (every field holds), a list of mappings (any does), or keywords (a
 * string or a list of them, any found in the event's text). A key that is only modifiers
 * (`'|all':`) makes its values keywords under those modifiers.
 */
function compileSelection<T>(v: unknown, where: string, line: number | undefined, field: FieldOf<T>, texts: (x: T) => readonly string[]): Compiled<T> {
  const bad = (msg: string): never => {
    throw new SigmaSyntaxError(`${where}: ${msg}`, line);
  };
  const wrap = <R>(f: () => R): R => {
    try {
      return f();
    } catch (e) {
      if (e instanceof SigmaSyntaxError && e.line === undefined) bad(e.message);
      throw e;
    }
  };
  if (v === null || v === undefined) return bad("an empty selection");
  if (Array.isArray(v)) {
    if (v.length === 0) return bad("an empty list");
    if (v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x))) {
      const cs = v.map((m) => wrap(() => compileMap<T>(m as Record<string, unknown>, field, texts)));
      if (cs.length === 1) return cs[0]!;
      const ps = cs.map((c) => c.pred);
      const atoms = cs.every((c) => c.atoms) ? cs.flatMap((c) => c.atoms!) : undefined;
      return { pred: (x) => ps.some((p) => p(x)), atoms };
    }
    if (v.every(isScalar)) return { pred: wrap(() => keywords<T>(v, new Set(), texts)), atoms: undefined };
    return bad("a list mixes mappings and values");
  }
  if (typeof v === "object") return wrap(() => compileMap<T>(v as Record<string, unknown>, field, texts));
  if (isScalar(v)) return { pred: wrap(() => keywords<T>([v], new Set(), texts)), atoms: undefined };
  return bad("not a selection");
}

function isScalar(v: unknown): v is SigmaScalar {
  return v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean";
}

function compileMap<T>(m: Record<string, unknown>, field: FieldOf<T>, texts: (x: T) => readonly string[]): Compiled<T> {
  const entries = Object.entries(m);
  if (entries.length === 0) throw new SigmaSyntaxError("an empty mapping");
  const ps: Pred<T>[] = [];
  const cands: Atoms[] = [];
  for (const [key, raw] of entries) {
    const [name, ...modList] = key.split("|");
    const values = Array.isArray(raw) ? raw : [raw];
    if (!values.every(isScalar)) throw new SigmaSyntaxError(`${key}: values are strings, numbers, booleans or null`);
    const mods = parseModifiers(modList);
    if (name === "") {
      ps.push(keywords<T>(values, mods, texts));
      continue;
    }
    const get = field(name!);
    const test = compileValues(values, mods);
    ps.push((x) => test(get(x)));
    cands.push(needlesOf(values, mods)?.map((needle) => ({ field: name!, needle })));
  }
  return { pred: ps.length === 1 ? ps[0]! : (x) => ps.every((p) => p(x)), atoms: best(cands) };
}

/** Keywords: found anywhere in the event's text (a substring unless the rule says otherwise). */
function keywords<T>(values: readonly SigmaScalar[], mods: ReadonlySet<string>, texts: (x: T) => readonly string[]): Pred<T> {
  const m = new Set(mods);
  if (!["contains", "startswith", "endswith", "re", "cidr", "exists", "lt", "lte", "gt", "gte"].some((k) => m.has(k))) m.add("contains");
  const all = m.has("all");
  m.delete("all");
  const tests = values.map((v) => compileValues([v], m));
  const holds = (t: (v: FieldValue) => boolean, x: T) => texts(x).some((s) => t(s));
  return all ? (x) => tests.every((t) => holds(t, x)) : (x) => tests.some((t) => holds(t, x));
}
