// Which of many needles occur in a string, in one pass (Aho-Corasick): how a set of Sigma rules
// finds, per field, the few rules an event could match without trying each one, and how the
// pattern databases find their phrases and the places their regexes need looking at.

/** ASCII folded to lower case, by table (a branch per char costs more than a load). */
const LOWER = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));

export class NeedleSet {
  private readonly next: Map<number, number>[] = [new Map<number, number>()];
  private readonly fail: number[] = [0];
  /** Needle ids that end at each state, those of its suffixes included. */
  private readonly out: number[][] = [[]];
  /**
   * The whole automaton for ASCII, failures resolved: state * 128 + char -> state. A few
   * thousand states in all of SigmaHQ's rules, so a few hundred KiB, and one array read a char.
   */
  private readonly delta: Int32Array;
  /** 1 where a state ends a needle: the scan reads a byte, not the state's list, for most chars. */
  private readonly hasOut: Uint8Array;
  /** Hits of the scan under way, held until it is known to be ASCII (reused: no garbage per scan). */
  private heldIds = new Int32Array(64);
  private heldEnds = new Int32Array(64);

  constructor(needles: readonly string[]) {
    needles.forEach((n, id) => {
      let s = 0;
      for (let i = 0; i < n.length; i++) {
        const c = n.charCodeAt(i);
        let t = this.next[s]!.get(c);
        if (t === undefined) {
          t = this.next.length;
          this.next.push(new Map<number, number>());
          this.fail.push(0);
          this.out.push([]);
          this.next[s]!.set(c, t);
        }
        s = t;
      }
      this.out[s]!.push(id);
    });
    const queue: number[] = [...this.next[0]!.values()];
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      for (const [c, t] of this.next[s]!) {
        queue.push(t);
        let f = this.fail[s]!;
        while (f !== 0 && !this.next[f]!.has(c)) f = this.fail[f]!;
        const ft = this.next[f]!.get(c);
        const fl = ft !== undefined && ft !== t ? ft : 0;
        this.fail[t] = fl;
        if (this.out[fl]!.length > 0) this.out[t] = [...this.out[t]!, ...this.out[fl]!];
      }
    }
    // Breadth first, so a state's failure (shallower) is filled before the state.
    const delta = (this.delta = new Int32Array(this.next.length * 128));
    for (const st of [0, ...queue]) {
      const m = this.next[st]!;
      for (let c = 0; c < 128; c++) delta[st * 128 + c] = m.get(c) ?? (st === 0 ? 0 : delta[this.fail[st]! * 128 + c]!);
    }
    this.hasOut = Uint8Array.from(this.out, (o) => (o.length > 0 ? 1 : 0));
  }

  get states(): number {
    return this.next.length;
  }

  /**
   * As scan, over `s` lowercased, for an ASCII string (folded as it is read, no copy made);
   * false, having reported nothing, at the first non-ASCII character: lowercase it first, since
   * toLowerCase maps some of those onto ASCII (the Kelvin sign onto k).
   */
  scanAsciiFolded(s: string, hit: (id: number, end: number) => void): boolean {
    // One pass: the ASCII check rides along, and hits wait until the string is known to be ASCII
    // (a caller that gets false scans a lowercased copy and must not hear them twice).
    const delta = this.delta;
    const out = this.out;
    const has = this.hasOut;
    const lower = LOWER;
    const n = s.length;
    let st = 0;
    let held = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) return false;
      st = delta[(st << 7) | lower[c]!]!;
      if (has[st] !== 0) {
        const o = out[st]!;
        for (let k = 0; k < o.length; k++) {
          if (held === this.heldIds.length) this.grow();
          this.heldIds[held] = o[k]!;
          this.heldEnds[held++] = i;
        }
      }
    }
    for (let k = 0; k < held; k++) hit(this.heldIds[k]!, this.heldEnds[k]!);
    return true;
  }

  private grow(): void {
    const ids = new Int32Array(this.heldIds.length * 2);
    ids.set(this.heldIds);
    const ends = new Int32Array(this.heldEnds.length * 2);
    ends.set(this.heldEnds);
    this.heldIds = ids;
    this.heldEnds = ends;
  }

  /** Calls `hit` with the id of every needle found in `s` (once per occurrence) and the index of its last character. */
  scan(s: string, hit: (id: number, end: number) => void): void {
    const next = this.next;
    const fail = this.fail;
    const out = this.out;
    let st = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let t = next[st]!.get(c);
      while (t === undefined && st !== 0) {
        st = fail[st]!;
        t = next[st]!.get(c);
      }
      st = t ?? 0;
      const o = out[st]!;
      for (let k = 0; k < o.length; k++) hit(o[k]!, i);
    }
  }
}
