// The Sigma rules of one log source, indexed by their needles: per field, one pass over the
// event's (lowercased) value finds every rule whose needle occurs, and only those rules, with the
// rules that imply no needle, are judged. Judging 188 rules one by one cost ~35 µs an event.
import { fieldGetter, RECORD_FIELDS, type AuditView, type LogSource, type SigmaInput } from "./fields.js";
import { NeedleSet } from "../../patterns/index.js";
import type { SigmaRule } from "./rule.js";
import { lower, type FieldValue } from "./value.js";

interface FieldIndex<T> {
  field: string;
  get: (x: T) => FieldValue;
  needles: NeedleSet;
  /** Marks the rules a found needle admits. */
  hit: (id: number) => void;
}

export class SigmaSet {
  readonly rules: readonly SigmaRule[];
  /** Rules that imply no needle: judged on every event (record). */
  private readonly always: number[];
  /** Rules a needle admitted for the current event (record), in the order found. */
  private readonly cand: number[] = [];
  private readonly eventFields: FieldIndex<SigmaInput>[] = [];
  private readonly recordFields: FieldIndex<AuditView>[] = [];
  /** Per rebuilt record type, the indexed fields it can have: a PATH record has no a0 to scan. */
  private readonly fieldsOfType = new Map<string, FieldIndex<AuditView>[]>();
  /**
   * Generation stamps: rule i is a candidate for the current event (record) when mark[i] === gen.
   * Doubles, exact to 2^53: an Int32Array would wrap within days at a thousand events a second.
   */
  private readonly mark: Float64Array;
  private readonly seen: Float64Array;
  private gen = 0;

  constructor(readonly logsource: LogSource, rules: readonly SigmaRule[]) {
    this.rules = rules.filter((r) => r.logsource === logsource);
    this.always = this.rules.flatMap((r, i) => (r.needles === undefined ? [i] : []));
    const mark = (this.mark = new Float64Array(this.rules.length));
    this.seen = new Float64Array(this.rules.length);
    const byField = new Map<string, { needles: string[]; ids: Map<string, number>; rulesOf: number[][] }>();
    this.rules.forEach((r, ri) => {
      for (const [field, ns] of r.needles ?? []) {
        let f = byField.get(field);
        if (!f) byField.set(field, (f = { needles: [], ids: new Map(), rulesOf: [] }));
        for (const n of ns) {
          let id = f.ids.get(n);
          if (id === undefined) {
            id = f.needles.length;
            f.ids.set(n, id);
            f.needles.push(n);
            f.rulesOf.push([]);
          }
          f.rulesOf[id]!.push(ri);
        }
      }
    });
    for (const [field, f] of byField) {
      const needles = new NeedleSet(f.needles);
      const rulesOf = f.rulesOf;
      const cand = this.cand;
      const hit = (id: number) => {
        for (const ri of rulesOf[id]!) {
          if (mark[ri] === this.gen) continue;
          mark[ri] = this.gen;
          cand.push(ri);
        }
      };
      if (logsource === "auditd") this.recordFields.push({ field, get: (r) => r.fields.get(field), needles, hit });
      else this.eventFields.push({ field, get: fieldGetter(logsource, field), needles, hit });
    }
    for (const [type, has] of Object.entries(RECORD_FIELDS)) this.fieldsOfType.set(type, this.recordFields.filter((f) => has(f.field)));
  }

  get size(): number {
    return this.rules.length;
  }

  /** The rules that match the event, in load order. */
  match(x: SigmaInput): SigmaRule[] {
    if (this.rules.length === 0) return [];
    const hits: number[] = [];
    if (this.logsource !== "auditd") {
      this.stamp(x, this.eventFields);
      this.judgeEvent(this.always, x, hits);
      this.judgeEvent(this.cand, x, hits);
    } else {
      const first = this.gen + 1;
      for (const r of x.records) {
        this.stamp(r, this.fieldsOfType.get(r.type) ?? this.recordFields);
        this.judgeRecord(this.always, r, first, hits);
        this.judgeRecord(this.cand, r, first, hits);
      }
    }
    if (hits.length === 0) return [];
    if (hits.length > 1) hits.sort((a, b) => a - b);
    return hits.map((i) => this.rules[i]!);
  }

  private judgeEvent(list: readonly number[], x: SigmaInput, hits: number[]): void {
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      const j = this.rules[i]!.judge;
      if (j.on === "event" && j.pred(x)) hits.push(i);
    }
  }

  /** A rule holds for the event when it holds in one record: judged until it does, once. */
  private judgeRecord(list: readonly number[], r: AuditView, first: number, hits: number[]): void {
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      if (this.seen[i]! >= first) continue;
      const j = this.rules[i]!.judge;
      if (j.on === "record" && j.pred(r)) {
        this.seen[i] = this.gen;
        hits.push(i);
      }
    }
  }

  private stamp<T>(x: T, fields: readonly FieldIndex<T>[]): void {
    this.gen++;
    this.cand.length = 0;
    for (const f of fields) {
      const v = f.get(x);
      if (v === undefined || v === null) continue;
      const t = typeof v === "number" ? String(v) : v;
      if (!f.needles.scanAsciiFolded(t, f.hit)) f.needles.scan(lower(t), f.hit);
    }
  }
}
