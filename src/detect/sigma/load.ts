// Sigma rules from folders: every *.yml / *.yaml below them (SigmaHQ nests rules by source),
// in a stable order, each compiled, refused or in error. A later file's rule of the same name
// replaces an earlier one, as with policies.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { compileSigmaText, type SigmaFileResult, type SigmaRule } from "./rule.js";

/** A rule is a page of YAML; a file this big is a mistake (or an attack on the loader). */
export const MAX_SIGMA_BYTES = 1 << 20;
/** Deeper than SigmaHQ's tree by far; a bound keeps a symlink loop from recursing forever. */
const MAX_DEPTH = 8;

export interface SigmaLoad {
  rules: SigmaRule[];
  results: SigmaFileResult[];
  /** Malformed files (not refusals): the daemon refuses to start or reload on these. */
  errors: Extract<SigmaFileResult, { error: string }>[];
  files: string[];
}

export function sigmaFiles(dirs: readonly string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith(".")) continue;
      const p = join(d, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (depth < MAX_DEPTH) walk(p, depth + 1);
      } else if (st.isFile() && /\.ya?ml$/i.test(n)) files.push(p);
    }
  };
  for (const d of dirs) {
    let st;
    try {
      st = statSync(d);
    } catch {
      missing.push(d);
      continue;
    }
    if (st.isFile()) files.push(d);
    else walk(d, 0);
  }
  return { files, missing };
}

export function loadSigma(dirs: readonly string[]): SigmaLoad & { missing: string[] } {
  const { files, missing } = sigmaFiles(dirs);
  const results: SigmaFileResult[] = [];
  for (const f of files) {
    let text: string;
    try {
      const size = statSync(f).size;
      if (size > MAX_SIGMA_BYTES) {
        results.push({ file: f, error: `${size} bytes, over the ${MAX_SIGMA_BYTES} a Sigma rule file may have` });
        continue;
      }
      text = readFileSync(f, "utf8");
    } catch (e) {
      results.push({ file: f, error: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    results.push(compileSigmaText(text, f));
  }
  const byName = new Map<string, SigmaRule>();
  for (const r of results) if ("rule" in r) byName.set(r.rule.name, r.rule);
  return { rules: [...byName.values()], results, errors: results.filter((r): r is Extract<SigmaFileResult, { error: string }> => "error" in r), files, missing };
}
