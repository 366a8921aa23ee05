/**
 * Shell-style globs compiled to a small matcher: `*` (any run within one path segment), `**`
 * (any run, across `/`), `?` (one character but `/`), `[abc]`, `[a-z]`, `[!x]`. Everything else is
 * literal: a pattern is never turned into a regular expression, so a rule cannot inject one.
 */
export type Glob = (s: string) => boolean;

type Tok =
  | { t: "lit"; s: string }
  | { t: "star" }
  | { t: "globstar" }
  | { t: "any" }
  | { t: "class"; neg: boolean; ranges: [number, number][] };

export class GlobSyntaxError extends Error {}

export function compileGlob(pattern: string): Glob {
  const toks = tokenize(pattern);
  const only = toks.length === 1 ? toks[0] : undefined;
  if (only?.t === "lit") {
    const lit = only.s;
    return (s) => s === lit;
  }
  // Every literal piece must occur somewhere: a cheap test that rejects most subjects at once.
  const lits = toks.filter((t): t is { t: "lit"; s: string } => t.t === "lit").map((t) => t.s);
  const first = toks[0];
  const prefix = first?.t === "lit" ? first.s : "";
  return (s) => {
    if (prefix && !s.startsWith(prefix)) return false;
    for (const l of lits) if (!s.includes(l)) return false;
    return matchAt(toks, 0, s, 0);
  };
}

function tokenize(p: string): Tok[] {
  const out: Tok[] = [];
  let lit = "";
  const flush = () => {
    if (lit) out.push({ t: "lit", s: lit });
    lit = "";
  };
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "\\" && i + 1 < p.length) {
      lit += p[++i];
    } else if (c === "*") {
      flush();
      if (p[i + 1] === "*") {
        i++;
        while (p[i + 1] === "*") i++;
        out.push({ t: "globstar" });
      } else out.push({ t: "star" });
    } else if (c === "?") {
      flush();
      out.push({ t: "any" });
    } else if (c === "[") {
      const end = p.indexOf("]", i + 2);
      if (end < 0) throw new GlobSyntaxError(`unclosed "[" at offset ${i} in glob ${JSON.stringify(p)}`);
      flush();
      let body = p.slice(i + 1, end);
      const neg = body.startsWith("!") || body.startsWith("^");
      if (neg) body = body.slice(1);
      const ranges: [number, number][] = [];
      for (let j = 0; j < body.length; j++) {
        const a = body.charCodeAt(j);
        if (body[j + 1] === "-" && j + 2 < body.length) {
          const b = body.charCodeAt(j + 2);
          if (b < a) throw new GlobSyntaxError(`reversed range in glob ${JSON.stringify(p)}`);
          ranges.push([a, b]);
          j += 2;
        } else ranges.push([a, a]);
      }
      out.push({ t: "class", neg, ranges });
      i = end;
    } else lit += c;
  }
  flush();
  return out;
}

// Backtracking over at most one star at a time keeps this linear-ish; patterns are short and
// written by the operator, subjects are bounded paths and arguments.
function matchAt(toks: Tok[], ti: number, s: string, si: number): boolean {
  for (; ti < toks.length; ti++) {
    const tk = toks[ti]!;
    switch (tk.t) {
      case "lit":
        if (!s.startsWith(tk.s, si)) return false;
        si += tk.s.length;
        break;
      case "any":
        if (si >= s.length || s[si] === "/") return false;
        si++;
        break;
      case "class": {
        if (si >= s.length) return false;
        const c = s.charCodeAt(si);
        const inside = tk.ranges.some(([a, b]) => c >= a && c <= b);
        if (inside === tk.neg) return false;
        si++;
        break;
      }
      case "star":
      case "globstar": {
        if (ti === toks.length - 1) return tk.t === "globstar" || s.indexOf("/", si) < 0;
        const next = toks[ti + 1]!;
        // `*` stops at the next "/"; `**` may run to the end.
        const limit = tk.t === "star" ? (s.indexOf("/", si) < 0 ? s.length : s.indexOf("/", si)) : s.length;
        if (next.t === "lit") {
          // Only positions where the next literal starts can continue the match.
          for (let k = s.indexOf(next.s, si); k >= 0 && k <= limit; k = s.indexOf(next.s, k + 1)) if (matchAt(toks, ti + 1, s, k)) return true;
          return false;
        }
        for (let k = si; k <= limit; k++) if (matchAt(toks, ti + 1, s, k)) return true;
        return false;
      }
    }
  }
  return si === s.length;
}
