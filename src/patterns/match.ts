// Matching a text against the pattern databases in one pass: phrases, domains, hashes and the
// regexes' needles are one Aho-Corasick automaton over the lower-cased text; a regex runs (in
// RE2, linear time) only in the windows around its needles' hits, which its bounded length
// makes sufficient. Linear in the text whatever it holds.
import type { Severity } from "../events/index.js";
import type { CompiledEntry, PatternDb } from "./load.js";
import { NeedleSet } from "./needles.js";
import { VALIDATE } from "./validate.js";

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
  /** The whole match's length in the text (UTF-16 units), however long `match` is. */
  length: number;
}

// Upper case too: ASCII text is scanned as it is, not lower-cased ("YOU ARE NOWHERE" is no "you are now").
const word = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
/** The needle that stands for any ASCII digit: the regex runs around each run of digits. */
const DIGIT = "\\d";

export class PatternSet {
  private readonly needles: NeedleSet;
  /** Per needle: the entry it belongs to, its length, and whether it is a whole match (not a regex's needle). */
  private readonly owner: { entry: number; len: number; whole: boolean; bounded: boolean; wordStart: boolean }[] = [];
  readonly entries: CompiledEntry[];
  /** Regexes with no needle (SecureClaw's): run over the whole text, in RE2. */
  private readonly whole: number[] = [];
  /** Entries with the needle "\\d": windows around each run of digits. */
  private readonly digits: number[] = [];
  /** Per entry: its V8 twin with the g flag, to take match after match in a window. */
  private readonly global: (RegExp | undefined)[];

  constructor(readonly dbs: readonly PatternDb[]) {
    this.entries = dbs.flatMap((d) => d.entries);
    this.entries.forEach((e, i) => {
      if (e.re && !e.needles) this.whole.push(i);
    });
    this.global = this.entries.map((e) => (e.js ? new RegExp(e.js.source, e.js.flags.includes("g") ? e.js.flags : `${e.js.flags}g`) : undefined));
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
        if (n === DIGIT) {
          if (!this.digits.includes(i)) this.digits.push(i);
        } else if (n.startsWith("\\b")) add(n.slice(2), false, false, true);
        else add(n, false, false);
      }
    });
    this.needles = new NeedleSet(list);
  }

  /** Every entry that matches, once each (its first place), in the order found. */
  match(text: string): PatternHit[] {
    return this.run(text, false);
  }

  /**
   * Every match of every entry: each occurrence of a phrase, domain or hash, each match of a regex
   * (that passes its validate), none overlapping another of the same entry; sorted by index.
   */
  matchAll(text: string): PatternHit[] {
    return this.run(text, true);
  }

  private run(text: string, all: boolean): PatternHit[] {
    /** The first hit per entry (match), or every hit with its entry (matchAll). */
    const first = new Map<number, PatternHit>();
    const found: { entry: number; hit: PatternHit }[] = [];
    const record = (entry: number, hit: PatternHit) => {
      if (all) found.push({ entry, hit });
      else if (!first.has(entry)) first.set(entry, hit);
    };
    const windows = new Map<number, [number, number][]>();
    const unsorted = new Set<number>();
    const addWindow = (entry: number, from: number, to: number) => {
      let w = windows.get(entry);
      if (!w) windows.set(entry, (w = []));
      const last = w[w.length - 1];
      if (last && from < last[0]) unsorted.add(entry);
      if (last && from >= last[0] && from <= last[1]) last[1] = Math.max(last[1], to);
      else w.push([from, to]);
    };
    const onHit = (id: number, end: number, s: string) => {
      const o = this.owner[id]!;
      const e = this.entries[o.entry]!;
      const start = end - o.len + 1;
      if (o.whole) {
        if (!all && first.has(o.entry)) return;
        // Phrases, domains and hashes stand as words: "act as" is not in "react as".
        if (o.bounded && ((start > 0 && word(s.charCodeAt(start - 1))) || (end + 1 < s.length && word(s.charCodeAt(end + 1))))) return;
        record(o.entry, this.hit(e, start, text.slice(start, end + 1), o.len));
        return;
      }
      if (o.wordStart && start > 0 && word(s.charCodeAt(start - 1))) return;
      const m = e.maxLen ?? 0;
      // One character more on each side: a \b at the edge of a match needs the character beyond it.
      addWindow(o.entry, Math.max(0, end - m - 1), Math.min(text.length, start + m + 1));
    };
    // ASCII text is folded as it is read; other text is lower-cased first (same length for all
    // but a few characters, whose windows are then a little off: a needle's window is wide).
    let folded = text;
    if (!this.needles.scanAsciiFolded(text, (id, end) => onHit(id, end, text))) {
      folded = text.toLowerCase();
      this.needles.scan(folded, (id, end) => onHit(id, end, folded));
    }
    // "\\d" needles: a match holds a digit of some run [a, b], so lies within maxLen of it.
    if (this.digits.length > 0) {
      // Runs of digits at most 3 characters apart make one cluster (a card's groups, a phone
      // number's parts); an entry that declares `digits` gets windows only around clusters with
      // that many. V8's regex skips to the next digit far faster than a loop over char codes.
      // test() and lastIndex, not exec(): no match array per run (a log has thousands of numbers).
      const digit = /[0-9]/g;
      let from = -1;
      let last = -1;
      let count = 0;
      const flush = () => {
        if (from < 0) return;
        for (const k of this.digits) {
          const e = this.entries[k]!;
          if (count < (e.digits ?? 1)) continue;
          const m = e.maxLen ?? 0;
          addWindow(k, Math.max(0, from - m - 1), Math.min(text.length, last + m + 1));
        }
      };
      while (digit.test(text)) {
        const a = digit.lastIndex - 1;
        let b = digit.lastIndex;
        for (let c = text.charCodeAt(b); c >= 48 && c <= 57; c = text.charCodeAt(++b));
        digit.lastIndex = b;
        if (from >= 0 && a - last - 1 > 3) {
          flush();
          from = -1;
        }
        if (from < 0) {
          from = a;
          count = 0;
        }
        count += b - a;
        last = b - 1;
      }
      flush();
    }
    for (const k of unsorted) {
      const ws = windows.get(k)!.sort((x, y) => x[0] - y[0]);
      const merged: [number, number][] = [];
      for (const [from, to] of ws) {
        const last = merged[merged.length - 1];
        if (last && from <= last[1]) last[1] = Math.max(last[1], to);
        else merged.push([from, to]);
      }
      windows.set(k, merged);
    }
    for (const i of this.whole) {
      const e = this.entries[i]!;
      const ok = e.validate ? VALIDATE[e.validate] : undefined;
      const m = e.re!.matcher(text);
      while (m.find()) {
        const g = m.group() ?? "";
        if (ok && !ok(g)) continue;
        record(i, this.hit(e, m.start(), g, g.length));
        if (!all) break;
      }
    }
    // The regexes have no anchors; a newline after the text lets one that ends a command at a
    // space or the end (`rm -rf /`) match at the very end too.
    // Only a window that reaches the end gets it: a copy of the whole text per call would be
    // garbage the size of the text.
    const windowOf = (from: number, to: number): string => (to >= text.length ? `${text.slice(from)}\n` : text.slice(from, to));
    for (const [i, ws] of windows) {
      const e = this.entries[i]!;
      const ok = e.validate ? VALIDATE[e.validate] : undefined;
      const g = this.global[i];
      let done = false;
      // One closure per entry, not per window: `from` is the window being read.
      let from = 0;
      const each = (at: number, s: string): boolean => {
        const index = from + at;
        const length = Math.min(s.length, text.length - index);
        if (ok && !ok(text.slice(index, index + length))) return false;
        record(i, this.hit(e, index, s.replace(/\n$/, ""), length));
        return !all;
      };
      for (const [wFrom, to] of ws) {
        from = wFrom;
        const w = windowOf(from, to);
        if (g) {
          g.lastIndex = 0;
          for (let m = g.exec(w); m; m = g.exec(w)) {
            if (m[0] === "") g.lastIndex++;
            if (each(m.index, m[0])) {
              done = true;
              break;
            }
          }
        } else {
          const m = e.re!.matcher(w);
          while (m.find()) {
            if (each(m.start(), m.group() ?? "")) {
              done = true;
              break;
            }
          }
        }
        if (done) break;
      }
    }
    if (!all) return [...first.values()].sort((a, b) => a.index - b.index);
    // Per entry, from the left, the longest of those at one place, and none inside one kept.
    found.sort((x, y) => x.entry - y.entry || x.hit.index - y.hit.index || y.hit.length - x.hit.length);
    const kept: typeof found = [];
    let entry = -1;
    let end = 0;
    for (const f of found) {
      if (f.entry === entry && f.hit.index < end) continue;
      if (f.entry === entry && f.hit.index === kept[kept.length - 1]!.hit.index) continue;
      entry = f.entry;
      end = f.hit.index + f.hit.length;
      kept.push(f);
    }
    return kept.sort((x, y) => x.hit.index - y.hit.index || x.entry - y.entry).map((f) => f.hit);
  }

  private hit(e: CompiledEntry, index: number, match: string, length: number): PatternHit {
    return { db: e.db, id: e.id, severity: e.severity, action: e.action, description: e.description, ...(e.category ? { category: e.category } : {}), ...(e.mitre ? { mitre: e.mitre } : {}), index, match: match.length > 120 ? `${match.slice(0, 120)}…` : match, length };
  }

  /** A package named in the supply-chain database (any version, or one listed). */
  package(ecosystem: string, name: string, version?: string): CompiledEntry | undefined {
    return this.entries.find((e) => e.packages?.some((p) => p.ecosystem === ecosystem && p.name === name && (!p.versions || version === undefined || p.versions.includes(version))));
  }
}
