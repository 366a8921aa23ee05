// A bounded unified diff of two texts (line LCS), for an alert a person reads: at most `maxLines`
// lines of it, and for texts too large to compare line by line, a summary instead.

const MAX_CELLS = 4_000_000;

export interface DiffOptions {
  context?: number;
  maxLines?: number;
}

export function unifiedDiff(before: string, after: string, o: DiffOptions = {}): string {
  const context = o.context ?? 3;
  const maxLines = o.maxLines ?? 60;
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length * b.length > MAX_CELLS) return `(${a.length} lines before, ${b.length} after: too large to diff line by line)`;
  // LCS lengths from the end, so the walk below goes forward.
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const L = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i * w + j] = a[i] === b[j] ? L[(i + 1) * w + j + 1]! + 1 : Math.max(L[(i + 1) * w + j]!, L[i * w + j + 1]!);
  const ops: { op: " " | "-" | "+"; line: string; ai: number; bi: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ op: " ", line: a[i]!, ai: i++, bi: j++ });
    // Removals before additions, as diff -u writes them.
    else if (i < n && (j === m || L[(i + 1) * w + j]! >= L[i * w + j + 1]!)) ops.push({ op: "-", line: a[i]!, ai: i++, bi: j });
    else ops.push({ op: "+", line: b[j]!, ai: i, bi: j++ });
  }
  // Hunks: changed lines with `context` lines around them.
  const keep = new Uint8Array(ops.length);
  ops.forEach((x, k) => {
    if (x.op === " ") return;
    for (let c = Math.max(0, k - context); c <= Math.min(ops.length - 1, k + context); c++) keep[c] = 1;
  });
  const out: string[] = [];
  for (let k = 0; k < ops.length; k++) {
    if (!keep[k]) continue;
    let e = k;
    while (e + 1 < ops.length && keep[e + 1]) e++;
    const hunk = ops.slice(k, e + 1);
    const aLen = hunk.filter((x) => x.op !== "+").length;
    const bLen = hunk.filter((x) => x.op !== "-").length;
    out.push(`@@ -${hunk[0]!.ai + 1},${aLen} +${hunk[0]!.bi + 1},${bLen} @@`);
    for (const x of hunk) out.push(`${x.op}${x.line.length > 200 ? `${x.line.slice(0, 200)}…` : x.line}`);
    k = e;
  }
  if (out.length > maxLines) return `${out.slice(0, maxLines).join("\n")}\n… ${out.length - maxLines} more diff lines`;
  return out.join("\n");
}
