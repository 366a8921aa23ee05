/**
 * Finds the line of a key in TOML text, so that a schema error can say `file:line: key`.
 * The TOML parser gives values, not positions; this scan of headers and `key =` lines is
 * enough for the shapes a config file has (tables, arrays of tables, dotted keys).
 */
export function locateKey(text: string, path: readonly (string | number)[]): number | undefined {
  const want = path.map(String);
  const arrayCounts = new Map<string, number>();
  let table: string[] = [];
  let best: { line: number; depth: number } | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]!).trim();
    if (line === "") continue;
    const arr = /^\[\[\s*([^\]]+?)\s*\]\]$/.exec(line);
    const tab = arr ? undefined : /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (arr) {
      const name = splitKey(arr[1]!);
      const k = name.join(".");
      const idx = arrayCounts.get(k) ?? 0;
      arrayCounts.set(k, idx + 1);
      table = [...name, String(idx)];
      consider(table, i + 1);
      continue;
    }
    if (tab) {
      table = splitKey(tab[1]!);
      consider(table, i + 1);
      continue;
    }
    const eq = /^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/.exec(line);
    if (eq) consider([...table, ...splitKey(eq[1]!)], i + 1);
  }
  return best?.line;

  function consider(full: string[], lineNo: number): void {
    let depth = 0;
    while (depth < full.length && depth < want.length && full[depth] === want[depth]) depth++;
    // Only a line that lies on the wanted path counts (a prefix of it, or the key itself).
    if (depth !== full.length) return;
    if (!best || depth > best.depth) best = { line: lineNo, depth };
  }
}

function splitKey(k: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(k)) !== null && m[0] !== "") out.push(m[1] ?? m[2] ?? m[3] ?? "");
  return out;
}

function stripComment(line: string): string {
  let inStr: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inStr) {
      if (c === "\\" && inStr === '"') i++;
      else if (c === inStr) inStr = undefined;
    } else if (c === '"' || c === "'") inStr = c;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}
