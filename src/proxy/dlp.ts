// DLP over a request body. A JSON body is read as its string literals, each decoded (so a PEM key
// written with \n escapes is seen as the key it is), all matched in one pass; a redaction replaces
// exactly the bytes of the match in the raw body and nothing else, so what reaches the provider
// is the agent's request byte for byte but for the secret.
import type { Category, Severity } from "../events/index.js";
import type { PatternSet } from "../patterns/index.js";
import type { Fingerprints } from "./fingerprints.js";

export type DlpAction = "block" | "redact" | "warn";

export interface DlpFinding {
  id: string;
  action: DlpAction;
  severity: Severity;
  category: Category;
  mitre: readonly string[];
  description: string;
  /** The match in its context, the match itself masked: never the secret. */
  excerpt: string;
}

export interface DlpResult {
  findings: DlpFinding[];
  /** The body with every redact finding replaced, when there was one. */
  redacted?: string;
  blocked: boolean;
}

interface Segment {
  /** Where the decoded text starts in the joined text. */
  at: number;
  text: string;
  /** Where the literal's raw text starts (after its quote) and ends (at its closing quote) in the body. */
  rawFrom: number;
  rawTo: number;
  escaped: boolean;
}

/** The string literals of a JSON text, decoded, with where they are; undefined if it is not JSON-ish. */
function literals(body: string): Segment[] | undefined {
  const segs: Segment[] = [];
  let at = 0;
  // The next backslash at or after a position, found once per stretch (not once per literal).
  let nextBs = -2;
  let i = body.indexOf('"');
  while (i >= 0) {
    let j = i + 1;
    let escaped = false;
    for (;;) {
      const q = body.indexOf('"', j);
      if (q < 0) return undefined;
      let bs = 0;
      for (let k = q - 1; k > i && body.charCodeAt(k) === 92; k--) bs++;
      if (bs > 0) escaped = true;
      if (bs % 2 === 0) {
        j = q;
        break;
      }
      j = q + 1;
    }
    if (!escaped) {
      if (nextBs !== -1 && nextBs <= i) nextBs = body.indexOf("\\", i + 1);
      if (nextBs > i && nextBs < j) escaped = true;
    }
    let text: string;
    try {
      text = escaped ? (JSON.parse(body.slice(i, j + 1)) as string) : body.slice(i + 1, j);
    } catch {
      return undefined;
    }
    segs.push({ at, text, rawFrom: i + 1, rawTo: j, escaped });
    at += text.length + 1;
    i = body.indexOf('"', j + 1);
  }
  return segs;
}

/** Raw offsets in the body of each decoded character of an escaped literal (and of its end). */
function rawMap(body: string, seg: Segment): Int32Array {
  const map = new Int32Array(seg.text.length + 1);
  let r = seg.rawFrom;
  let d = 0;
  while (r < seg.rawTo) {
    map[d] = r;
    if (body.charCodeAt(r) !== 92) {
      r++;
      d++;
      continue;
    }
    const c = body[r + 1];
    if (c === "u") {
      // \uXXXX is one UTF-16 unit; a surrogate pair is two escapes, two units.
      r += 6;
      d++;
    } else {
      r += 2;
      d++;
    }
  }
  map[d] = seg.rawTo;
  return map;
}

/** Up to 24 characters either side of a match, with it and every other match nearby masked. */
function excerpt(text: string, index: number, length: number, id: string, others: readonly { index: number; length: number; id: string }[] = []): string {
  const from = Math.max(0, index - 24);
  const to = Math.min(text.length, index + length + 24);
  const masks = [{ index, length, id }, ...others.filter((o) => o.index < to && o.index + o.length > from && o.index !== index)].sort((a, b) => a.index - b.index);
  const clean = (s: string) => s.replace(/[\r\n\t]+/g, " ");
  let out = from > 0 ? "…" : "";
  let pos = from;
  for (const m of masks) {
    if (m.index + m.length <= pos) continue;
    out += `${clean(text.slice(pos, Math.max(pos, m.index)))}[${m.id}: ${m.length} chars]`;
    pos = m.index + m.length;
  }
  return `${out}${clean(text.slice(pos, Math.max(pos, to)))}${to < text.length ? "…" : ""}`;
}

export interface DlpScanner {
  privacy: PatternSet | undefined;
  fingerprints: Fingerprints | undefined;
  /** What long literals were found to hold, by their text: an agent sends its whole conversation again with each request. */
  cache?: ScanCache;
}

interface Cached {
  index: number;
  length: number;
  finding: DlpFinding;
}

/** Literals shorter than this are scanned every time: cheap, and many. */
const CACHE_MIN = 512;

/**
 * The findings of long string literals already read, keyed by their text, least recently used
 * first out past `maxChars`. It holds what the proxy has just seen, in its own memory only; the
 * databases and fingerprints do not change while it lives, so a result stays true.
 */
export class ScanCache {
  private readonly map = new Map<string, Cached[]>();
  private chars = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxChars = 32 << 20) {}

  get(text: string): Cached[] | undefined {
    const v = this.map.get(text);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(text);
    this.map.set(text, v);
    return v;
  }

  set(text: string, found: Cached[]): void {
    if (text.length > this.maxChars || this.map.has(text)) return;
    this.map.set(text, found);
    this.chars += text.length;
    for (const k of this.map.keys()) {
      if (this.chars <= this.maxChars) break;
      this.map.delete(k);
      this.chars -= k.length;
    }
  }
}

interface Hit {
  seg: Segment;
  index: number;
  length: number;
  finding: DlpFinding;
}

function hitsIn(scanner: DlpScanner, segs: Segment[]): Hit[] {
  if (segs.length === 0) return [];
  // Offsets in the join of these segments (a subset of the body's when some were cached).
  let at = 0;
  for (const sg of segs) {
    sg.at = at;
    at += sg.text.length + 1;
  }
  const joined = segs.map((s) => s.text).join("\n");
  const segAt = (pos: number): Segment => {
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid]!.at <= pos) lo = mid;
      else hi = mid - 1;
    }
    return segs[lo]!;
  };
  const out: Hit[] = [];
  for (const h of scanner.privacy?.matchAll(joined) ?? []) {
    const seg = segAt(h.index);
    const index = h.index - seg.at;
    // A match that ran past its literal's end is cut to it: only one literal's bytes are replaced.
    const length = Math.min(h.length, seg.text.length - index);
    const action: DlpAction = h.action === "block" ? "block" : h.action === "redact" ? "redact" : "warn";
    out.push({ seg, index, length, finding: { id: h.id, action, severity: h.severity, category: h.category ?? "DATA_EXFIL", mitre: h.mitre ?? ["T1552"], description: h.description, excerpt: "" } });
  }
  for (const f of scanner.fingerprints?.find(joined) ?? []) {
    const seg = segAt(f.index);
    out.push({ seg, index: f.index - seg.at, length: f.length, finding: { id: "fingerprint", action: "block", severity: "critical", category: "DATA_EXFIL", mitre: ["T1552.004", "T1048"], description: `a secret of this machine's ${f.file}`, excerpt: "" } });
  }
  const bySeg = new Map<Segment, { index: number; length: number; id: string }[]>();
  for (const h of out) {
    let l = bySeg.get(h.seg);
    if (!l) bySeg.set(h.seg, (l = []));
    l.push({ index: h.index, length: h.length, id: h.finding.id });
  }
  for (const h of out) h.finding.excerpt = excerpt(h.seg.text, h.index, h.length, h.finding.id, bySeg.get(h.seg));
  return out;
}

/** DLP of a request body: a JSON one (`json`: it parsed) literal by literal, else the whole text. */
export function scanBody(scanner: DlpScanner, body: string, json: boolean): DlpResult {
  const segs = (json ? literals(body) : undefined) ?? [{ at: 0, text: body, rawFrom: 0, rawTo: body.length, escaped: false }];
  const cache = scanner.cache;
  const hits: Hit[] = [];
  const fresh: Segment[] = [];
  for (const seg of segs) {
    const c = cache && seg.text.length >= CACHE_MIN ? cache.get(seg.text) : undefined;
    if (c) for (const h of c) hits.push({ seg, index: h.index, length: h.length, finding: { ...h.finding } });
    else fresh.push(seg);
  }
  const found = hitsIn(scanner, fresh);
  hits.push(...found);
  if (cache) {
    const bySeg = new Map<Segment, Cached[]>();
    for (const h of found) {
      let l = bySeg.get(h.seg);
      if (!l) bySeg.set(h.seg, (l = []));
      l.push({ index: h.index, length: h.length, finding: { ...h.finding } });
    }
    for (const seg of fresh) if (seg.text.length >= CACHE_MIN) cache.set(seg.text, bySeg.get(seg) ?? []);
  }
  // In the body's order, whether a literal was read now or known already.
  hits.sort((a, b) => a.seg.rawFrom - b.seg.rawFrom || a.index - b.index);
  const findings = hits.map((h) => h.finding);
  const blocked = findings.some((f) => f.action === "block");
  const red = hits.filter((h) => h.finding.action === "redact").sort((a, b) => a.seg.rawFrom + a.index - (b.seg.rawFrom + b.index));
  if (blocked || red.length === 0) return { findings, blocked };
  const maps = new Map<Segment, Int32Array>();
  const parts: string[] = [];
  let pos = 0;
  for (const h of red) {
    let from: number;
    let to: number;
    if (h.seg.escaped) {
      let m = maps.get(h.seg);
      if (!m) maps.set(h.seg, (m = rawMap(body, h.seg)));
      from = m[h.index]!;
      to = m[h.index + h.length]!;
    } else {
      from = h.seg.rawFrom + h.index;
      to = from + h.length;
    }
    if (from < pos) continue;
    parts.push(body.slice(pos, from), `[REDACTED:${h.finding.id}]`);
    pos = to;
  }
  parts.push(body.slice(pos));
  return { findings, blocked, redacted: parts.join("") };
}

/** Prompt-injection phrases in the tool results a request passes back. */
export function scanToolResults(injection: PatternSet | undefined, texts: readonly string[]): DlpFinding[] {
  if (!injection) return [];
  const out: DlpFinding[] = [];
  for (const t of texts) {
    for (const h of injection.match(t)) {
      out.push({ id: h.id, action: "warn", severity: h.severity, category: h.category ?? "EXECUTION", mitre: h.mitre ?? ["T1059"], description: h.description, excerpt: excerpt(t, h.index, Math.min(h.match.length, t.length - h.index), h.id) });
    }
  }
  return out;
}
