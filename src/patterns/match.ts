// Matching a text against the pattern databases in one pass: phrases, domains, hashes and the
// regexes' needles are one Aho-Corasick automaton over the lower-cased text; a regex runs (in
// RE2, linear time) only in the windows around its needles' hits, which its bounded length
// makes sufficient. Linear in the text whatever it holds.
import type { Severity } from "../events/index.js";
import type { CompiledEntry, PatternDb } from "./load.js";
import { NeedleSet } from "./needles.js";

export interface PatternHit {
  db: string;
  id: string;
  severity: Severity;
  action: CompiledEntry["action"];
  description: string;
  category?: CompiledEntry["category"];
  mitre?: readonly string[];
  /** Where in the text, and what matched there (at most 120 characters). */
  index: number;
  match: string;
}

const word = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95;

export class PatternSet {
  private readonly needles: NeedleSet;
  /** Per needle: the entry it belongs to, its length, and whether it is a whole match (not a regex's needle). */
  private readonly owner: { entry: number; len: number; whole: boolean; bounded: boolean; wordStart: boolean }[] = [];
  readonly entries: CompiledEntry[];
  /** Regexes with no needle (SecureClaw's): run over the whole text, in RE2. */
  private readonly whole: number[] = [];

  constructor(readonly dbs: readonly PatternDb[]) {
    this.entries = dbs.flatMap((d) => d.entries);
    this.entries.forEach((e, i) => {
      if (e.re && !e.needles) this.whole.push(i);
    });
    const list: string[] = [];
    this.entries.forEach((e, i) => {
      const add = (s: string, whole: boolean, bounded: boolean, wordStart = false) => {
        list.push(s.toLowerCase());
        this.owner.push({ entry: i, len: s.length, whole, bounded, wordStart });
      };
      for (const p of e.phrases ?? []) add(p, true, true);
      for (const d of e.domains ?? []) add(d, true, true);
      for (const h of e.sha256 ?? []) add(h, true, true);
      // A needle written "\bword" counts only at the start of a word ("rm " not in "form ").
      for (const n of e.needles ?? []) {
        if (n.startsWith("\\b")) add(n.slice(2), false, false, true);
        else add(n, false, false);
      }
    });
    this.needles = new NeedleSet(list);
  }

  /** Every entry that matches, once each (its first place), in the order found. */
  match(text: string): PatternHit[] {
    const hits = new Map<number, PatternHit>();
    const windows = new Map<number, [number, number][]>();
    const onHit = (id: number, end: number, s: string) => {
      const o = this.owner[id]!;
      const e = this.entries[o.entry]!;
      const start = end - o.len + 1;
      if (o.whole) {
        if (hits.has(o.entry)) return;
        // Phrases, domains and hashes stand as words: "act as" is not in "react as".
        if (o.bounded && ((start > 0 && word(s.charCodeAt(start - 1))) || (end + 1 < s.length && word(s.charCodeAt(end + 1))))) return;
        hits.set(o.entry, this.hit(e, start, text.slice(start, end + 1)));
        return;
      }
      if (hits.has(o.entry)) return;
      if (o.wordStart && start > 0 && word(s.charCodeAt(start - 1))) return;
      const m = e.maxLen ?? 0;
      let w = windows.get(o.entry);
      if (!w) windows.set(o.entry, (w = []));
      // One character more on each side: a \b at the edge of a match needs the character beyond it.
      const from = Math.max(0, end - m - 1);
      const to = Math.min(text.length, start + m + 1);
      const last = w[w.length - 1];
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else w.push([from, to]);
    };
    // ASCII text is folded as it is read; other text is lower-cased first (same length for all
    // but a few characters, whose windows are then a little off: a needle's window is wide).
    let folded = text;
    if (!this.needles.scanAsciiFolded(text, (id, end) => onHit(id, end, text))) {
      folded = text.toLowerCase();
      this.needles.scan(folded, (id, end) => onHit(id, end, folded));
    }
    // The regexes have no anchors; a newline after the text lets one that ends a command at a
    // space or the end (`rm -rf /`) match at the very end too.
    const src = `${text}\n`;
    for (const i of this.whole) {
      const e = this.entries[i]!;
      const m = e.re!.matcher(text);
      if (m.find()) hits.set(i, this.hit(e, m.start(), m.group() ?? ""));
    }
    for (const [i, ws] of windows) {
      const e = this.entries[i]!;
      for (const [from, to] of ws) {
        const w = src.slice(from, Math.min(src.length, to === text.length ? to + 1 : to));
        if (e.js) {
          const m = e.js.exec(w);
          if (m) {
            hits.set(i, this.hit(e, from + m.index, m[0].replace(/\n$/, "")));
            break;
          }
          continue;
        }
        const m = e.re!.matcher(w);
        if (m.find()) {
          hits.set(i, this.hit(e, from + m.start(), (m.group() ?? "").replace(/\n$/, "")));
          break;
        }
      }
    }
    return [...hits.values()].sort((a, b) => a.index - b.index);
  }

  private hit(e: CompiledEntry, index: number, match: string): PatternHit {
    return { db: e.db, id: e.id, severity: e.severity, action: e.action, description: e.description, ...(e.category ? { category: e.category } : {}), ...(e.mitre ? { mitre: e.mitre } : {}), index, match: match.length > 120 ? `${match.slice(0, 120)}…` : match };
  }

  /** A package named in the supply-chain database (any version, or one listed). */
  package(ecosystem: string, name: string, version?: string): CompiledEntry | undefined {
    return this.entries.find((e) => e.packages?.some((p) => p.ecosystem === ecosystem && p.name === name && (!p.versions || version === undefined || p.versions.includes(version))));
  }
}
