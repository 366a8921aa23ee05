// The pattern databases of a folder (the package's patterns/, or another): each file loaded and
// its signature checked; one bad or unsigned file is refused on its own, the others kept.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../version.js";
import { loadPatternDb, PatternError, type PatternDb } from "./load.js";
import { verifyFile, type SignatureState } from "./sign.js";

export const PATTERNS_DIR = join(PACKAGE_ROOT, "patterns");
export const PUBLIC_KEY_FILE = join(PATTERNS_DIR, "clawav-patterns.pub");
/** What a skill is read with: the injection and supply-chain databases. */
export const SKILL_DATABASES: readonly string[] = ["injection", "supply-chain"];

export interface DirResult {
  dbs: PatternDb[];
  errors: PatternError[];
  signatures: Record<string, SignatureState>;
}

/** `names`: only these databases (file names without .json) are read, verified and compiled. */
export function loadPatternDir(dir = PATTERNS_DIR, publicKeyFile = PUBLIC_KEY_FILE, requireSignature = true, names?: readonly string[]): DirResult {
  const out: DirResult = { dbs: [], errors: [], signatures: {} };
  if (!existsSync(dir)) {
    out.errors.push(new PatternError(dir, undefined, undefined, "no such folder"));
    return out;
  }
  const pub = existsSync(publicKeyFile) ? readFileSync(publicKeyFile, "utf8") : undefined;
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json") && (!names || names.includes(n.slice(0, -5)))).sort()) {
    const file = join(dir, f);
    const sig = pub ? verifyFile(file, pub) : "missing";
    out.signatures[file] = sig;
    if (requireSignature && sig !== "valid") {
      out.errors.push(new PatternError(file, undefined, undefined, sig === "missing" ? `no signature (${file}.sig)${pub ? "" : ` and no public key (${publicKeyFile})`}: refused` : "its signature does not verify: changed since it was signed; refused"));
      continue;
    }
    try {
      out.dbs.push(loadPatternDb(file));
    } catch (e) {
      out.errors.push(e instanceof PatternError ? e : new PatternError(file, undefined, undefined, String(e)));
    }
  }
  return out;
}
