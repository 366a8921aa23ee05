// A line diff of two rulesets: what was removed (-) and added (+), in order. Rule order matters
// in a firewall (the first match wins), so a moved rule shows as removed and added.

/** Longest rulesets diffed line by line; past this (n*m cells), lines only present on one side. */
const MAX_CELLS = 4_000_000;

export function lineDiff(before: readonly string[], after: readonly string[]): string[] {
  // Common head and tail are the usual case (one rule added or deleted): trim them first.
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const a = before.slice(head, before.length - tail);
  const b = after.slice(head, after.length - tail);
  if (a.length * b.length > MAX_CELLS) {
    const inB = new Set(b);
    const inA = new Set(a);
    return [...a.filter((l) => !inB.has(l)).map((l) => `- ${l}`), ...b.filter((l) => !inA.has(l)).map((l) => `+ ${l}`)];
  }
  // LCS table from the end, then walk it from the start.
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const t = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) t[i * w + j] = a[i] === b[j] ? t[(i + 1) * w + j + 1]! + 1 : Math.max(t[(i + 1) * w + j]!, t[i * w + j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (t[(i + 1) * w + j]! >= t[i * w + j + 1]!) out.push(`- ${a[i++]!}`);
    else out.push(`+ ${b[j++]!}`);
  }
  while (i < n) out.push(`- ${a[i++]!}`);
  while (j < m) out.push(`+ ${b[j++]!}`);
  return out;
}
