import type { Category, EventKind, Severity } from "../../events/index.js";
import { BEHAVIOR_RULES, type BehaviorRule, type Hit, type RuleContext } from "./rules.js";
import { innerFacts, type Facts } from "./facts.js";

/** One finding of the behaviour engine, before it becomes an Alert. */
export interface Finding {
  rule: string;
  category: Category;
  severity: Severity;
  summary: string;
  action?: "quarantine";
}

interface KindIndex {
  byTool: Map<string, BehaviorRule[]>;
  any: BehaviorRule[];
  /** The merged candidate lists already asked for, by tool and executable name. */
  merged: Map<string, BehaviorRule[]>;
}

/**
 * The behaviour rules indexed by event kind and tool, so that an event meets only the rules that
 * can apply to it. Pure: no I/O, no clock.
 */
export class BehaviorEngine {
  private readonly byKind = new Map<EventKind, KindIndex>();
  private readonly inner: KindIndex = { byTool: new Map(), any: [], merged: new Map() };
  readonly rules: readonly BehaviorRule[];

  constructor(rules: readonly BehaviorRule[] = BEHAVIOR_RULES) {
    this.rules = rules;
    for (const r of rules) {
      for (const k of r.kinds) {
        let idx = this.byKind.get(k);
        if (!idx) this.byKind.set(k, (idx = { byTool: new Map(), any: [], merged: new Map() }));
        add(idx, r);
      }
      if (r.inner && r.kinds.includes("exec")) add(this.inner, r);
    }
  }

  judge(f: Facts): Finding[] {
    const idx = this.byKind.get(f.e.kind);
    if (!idx) return [];
    const ctx: RuleContext = { judgeInner: (outer, argv) => this.judgeInner(outer, argv) };
    const out: Finding[] = [];
    for (const r of candidates(idx, f.tool, f.exeBase)) collect(out, r, r.match(f, ctx));
    return dedupe(out);
  }

  private judgeInner(outer: Facts, argv: readonly string[]): Hit[] {
    const f = innerFacts(outer, argv);
    const ctx: RuleContext = { judgeInner: (o, a) => this.judgeInner(o, a) };
    const out: Hit[] = [];
    for (const r of candidates(this.inner, f.tool, f.exeBase)) {
      const h = r.match(f, ctx);
      if (!h) continue;
      if (Array.isArray(h)) for (const x of h) out.push(hitOf(x, r));
      else out.push(hitOf(h, r));
    }
    return out;
  }
}

/** A hit with its rule's defaults filled in (one object shape for every caller). */
function hitOf(x: Hit, r: BehaviorRule): Hit {
  return { id: x.id ?? r.id, category: x.category ?? r.category, severity: x.severity ?? r.severity, summary: x.summary, ...(x.action ? { action: x.action } : {}) };
}

function add(idx: KindIndex, r: BehaviorRule): void {
  if (!r.tools) {
    idx.any.push(r);
    return;
  }
  for (const t of r.tools) {
    const list = idx.byTool.get(t);
    if (list) list.push(r);
    else idx.byTool.set(t, [r]);
  }
}

function candidates(idx: KindIndex, tool: string, base: string): BehaviorRule[] {
  const a = idx.byTool.get(tool);
  const b = base !== tool ? idx.byTool.get(base) : undefined;
  if (!a && !b) return idx.any;
  const key = b ? `${tool}\u0000${base}` : tool;
  let list = idx.merged.get(key);
  if (!list) {
    list = [...new Set<BehaviorRule>([...(a ?? []), ...(b ?? []), ...idx.any])];
    // Keys are names of tools that some rule names, so few; the bound only guards odd renames.
    if (idx.merged.size >= 1024) idx.merged.clear();
    idx.merged.set(key, list);
  }
  return list;
}

function collect(out: Finding[], r: BehaviorRule, h: Hit | Hit[] | undefined): void {
  if (!h) return;
  for (const x of Array.isArray(h) ? h : [h]) out.push({ rule: x.id ?? r.id, category: x.category ?? r.category, severity: x.severity ?? r.severity, summary: x.summary, ...(x.action ? { action: x.action } : {}) });
}

/** The same rule and summary found twice (e.g. by a nested command) is one finding. */
function dedupe(fs: Finding[]): Finding[] {
  if (fs.length < 2) return fs;
  const seen = new Set<string>();
  return fs.filter((f) => {
    const k = `${f.rule}\u0000${f.summary}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
