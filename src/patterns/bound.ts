// The longest text a regex can match, read from its source (RE2 syntax): Infinity when a `*`,
// `+` or `{n,}` lets it grow without end. A pattern database's regexes must be bounded, so that a
// needle found at one place tells where to run the regex: a window around it, never the whole text.

export function maxMatchLength(src: string): number {
  // A stack of groups; each holds the lengths of its alternatives so far and of the current one.
  const stack: { alts: number[]; cur: number; last: number }[] = [{ alts: [], cur: 0, last: 0 }];
  const top = () => stack[stack.length - 1]!;
  const atom = (len: number) => {
    const t = top();
    t.cur += len;
    t.last = len;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\") {
      const n = src[i + 1];
      i++;
      // Zero-width escapes match no character.
      atom(n === "b" || n === "B" || n === "A" || n === "z" ? 0 : 1);
      continue;
    }
    if (c === "[") {
      let j = i + 1;
      if (src[j] === "^") j++;
      if (src[j] === "]") j++;
      while (j < src.length && src[j] !== "]") j += src[j] === "\\" ? 2 : 1;
      i = j;
      atom(1);
      continue;
    }
    if (c === "(") {
      // (?:, (?i), (?P<name>: the group's body starts after them.
      if (src[i + 1] === "?") {
        const close = src.indexOf(")", i);
        const colon = src.indexOf(":", i);
        if (colon !== -1 && (close === -1 || colon < close)) i = colon;
        else if (close !== -1) {
          i = close; // a flag group (?i): no text
          continue;
        }
      }
      stack.push({ alts: [], cur: 0, last: 0 });
      continue;
    }
    if (c === "|") {
      const t = top();
      t.alts.push(t.cur);
      t.cur = 0;
      t.last = 0;
      continue;
    }
    if (c === ")") {
      if (stack.length === 1) return Infinity;
      const g = stack.pop()!;
      atom(Math.max(...g.alts, g.cur));
      continue;
    }
    if (c === "*" || c === "+") return Infinity;
    if (c === "?") {
      // A lazy marker after a quantifier, or an optional atom: no longer than before.
      continue;
    }
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (!m) {
        atom(1);
        continue;
      }
      if (m[2] !== undefined && m[3] === "") return Infinity;
      const max = Number(m[3] ?? m[1]);
      const t = top();
      t.cur += t.last * (max - 1);
      t.last *= max;
      i += m[0].length - 1;
      continue;
    }
    if (c === "^" || c === "$") continue;
    atom(1);
  }
  const t = top();
  return stack.length === 1 ? Math.max(...t.alts, t.cur) : Infinity;
}
