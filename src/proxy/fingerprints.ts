// The machine's own secrets, known by fingerprint: the long tokens of its key and credential
// files (a private key's base64 lines, an AWS secret, a token in .netrc) kept as sha256 digests,
// never as text. A prompt carrying one of them carries that file, whatever shape a regex expects.
import { createHash } from "node:crypto";
import { expandSpec, readSafe } from "../sources/integrity/index.js";

/** Shorter runs are words and ids, not secrets. */
export const MIN_TOKEN = 20;

function fnv(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const digest = (s: string): string => createHash("sha256").update(s).digest("hex");

/** 1 for a token character, by UTF-16 code unit (64 KiB: no range check in the loop). */
const TOKEN = new Uint8Array(65536);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-") TOKEN[c.charCodeAt(0)] = 1;

/**
 * Calls `f` with each run of token characters of at least MIN_TOKEN in `s`. A window of MIN_TOKEN
 * is read from its end: the first non-token character met (in prose, within a word or two) moves
 * the window past it, so most characters are never read (a 200 KB prompt: ~0.2 ms, not ~1 ms).
 */
export function tokenRuns(s: string, f: (from: number, to: number) => void): void {
  const n = s.length;
  let i = 0;
  while (i + MIN_TOKEN <= n) {
    let j = i + MIN_TOKEN - 1;
    while (j >= i && TOKEN[s.charCodeAt(j)] !== 0) j--;
    if (j >= i) {
      i = j + 1;
      continue;
    }
    // s[i-1] is not a token character (or i is 0): the run starts here; find its end.
    let e = i + MIN_TOKEN;
    while (e < n && TOKEN[s.charCodeAt(e)] !== 0) e++;
    f(i, e);
    i = e + 1;
  }
}

export interface FingerprintHit {
  file: string;
  index: number;
  length: number;
}

export class Fingerprints {
  /** A cheap first look (32-bit FNV); sha256 decides. */
  private readonly quick = new Set<number>();
  private readonly digests = new Map<string, string>();
  readonly files: string[] = [];

  /** Reads the files the specs name (absolute, or relative to each home; `*` in a segment), never through a symlink. */
  static fromSpecs(specs: readonly string[], homes: readonly string[]): Fingerprints {
    const f = new Fingerprints();
    for (const spec of specs) {
      for (const path of expandSpec(spec, homes)) {
        if (path.endsWith(".pub")) continue;
        const r = readSafe(path);
        if (r.kind === "file") f.add(path, r.content.toString("utf8"));
      }
    }
    return f;
  }

  add(file: string, text: string): void {
    let any = false;
    tokenRuns(text, (from, to) => {
      // Base64 padding and line ends differ between copies; the run without trailing = is the token.
      while (to > from && text.charCodeAt(to - 1) === 61) to--;
      if (to - from < MIN_TOKEN) return;
      const tok = text.slice(from, to);
      this.quick.add(fnv(tok, 0, tok.length));
      this.digests.set(digest(tok), file);
      any = true;
    });
    if (any) this.files.push(file);
  }

  get size(): number {
    return this.digests.size;
  }

  /** Every run of `text` that is a token of a fingerprinted file. */
  find(text: string): FingerprintHit[] {
    const out: FingerprintHit[] = [];
    if (this.digests.size === 0) return out;
    tokenRuns(text, (from, to) => {
      while (to > from && text.charCodeAt(to - 1) === 61) to--;
      if (to - from < MIN_TOKEN || !this.quick.has(fnv(text, from, to))) return;
      const file = this.digests.get(digest(text.slice(from, to)));
      if (file !== undefined) out.push({ file, index: from, length: to - from });
    });
    return out;
  }
}
