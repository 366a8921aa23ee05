// Building a bundle from a folder of rules: DIR/policies/*.yaml, DIR/sigma/** and
// DIR/patterns/*.json, each checked by the loader that will read it on the hosts, so a broken
// file is refused here, on the signer's desk, and never reaches a fleet.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { EXIT, UserError, formatPosition } from "../errors/index.js";
import { formatPolicyError, loadClawsudoPolicies, loadPolicies, loadSigma } from "../detect/index.js";
import { loadPatternDb, PatternError } from "../patterns/index.js";
import { BUNDLE_FORMAT, BundleError, isVersion, MAX_BUNDLE_BYTES, MAX_BUNDLE_FILES, pathProblem, sha256Hex, signBundle, bundleText, type Bundle, type BundleFile } from "./format.js";

export interface BundleCounts {
  files: number;
  policies: number;
  sigma: number;
  patterns: number;
}

export function countsOf(b: Pick<Bundle, "files">): BundleCounts {
  const n = (top: string) => b.files.filter((f) => f.path.startsWith(`${top}/`)).length;
  return { files: b.files.length, policies: n("policies"), sigma: n("sigma"), patterns: n("patterns") };
}

/**
 * `version`: as given, else DIR/VERSION's first line. `now` is the bundle's `created` time.
 * Throws UserError naming the file (file:line: what) when a file would not load on a host.
 */
export function makeBundle(dir: string, privateKeyPem: string, version: string | undefined, now: Date): Bundle {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`policy bundle: ${dir}: no such folder`, EXIT.NOINPUT);
  const v = version ?? versionFile(dir);
  if (!isVersion(v)) throw new UserError(`policy bundle: version ${JSON.stringify(v)} is not dotted numbers (such as 2026.12.7 or 42)`, EXIT.USAGE);

  const problems: string[] = [];
  const wanted: { file: string; path: string }[] = [];

  const policiesDir = join(dir, "policies");
  if (existsSync(policiesDir)) {
    // Detection policies and clawsudo's both live in policies/; each is checked by its own loader.
    const p = loadPolicies([policiesDir]);
    const c = loadClawsudoPolicies([policiesDir]);
    for (const e of [...p.errors, ...c.errors]) problems.push(formatPolicyError(e));
    for (const f of [...p.files, ...c.files].sort()) wanted.push({ file: f, path: bundlePath(dir, f) });
  }

  const sigmaDir = join(dir, "sigma");
  if (existsSync(sigmaDir)) {
    // A rule refused for a feature clawav does not support is fine (it is reported on load); a malformed one is not.
    const s = loadSigma([sigmaDir]);
    for (const e of s.errors) problems.push(`${formatPosition({ file: e.file, ...(e.line !== undefined ? { line: e.line } : {}) })}: ${e.key !== undefined ? `${e.key}: ` : ""}Sigma: ${e.error}`);
    for (const f of s.files) wanted.push({ file: f, path: bundlePath(dir, f) });
  }

  const patternsDir = join(dir, "patterns");
  if (existsSync(patternsDir)) {
    // Checked without their own .sig files: the bundle's signature covers them.
    for (const n of readdirSync(patternsDir).filter((n) => n.endsWith(".json") && !n.startsWith(".")).sort()) {
      const f = join(patternsDir, n);
      try {
        loadPatternDb(f);
      } catch (e) {
        problems.push(e instanceof PatternError ? e.message : `${f}: ${String(e)}`);
        continue;
      }
      wanted.push({ file: f, path: bundlePath(dir, f) });
    }
  }

  const files: BundleFile[] = [];
  for (const w of wanted) {
    const why = pathProblem(w.path);
    if (why !== undefined) {
      problems.push(`${w.file}: cannot be bundled as ${w.path}: ${why}`);
      continue;
    }
    let content: string;
    try {
      // Fatal decoding: a bundle carries text, and a replaced byte would sign something else than the file.
      content = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(w.file));
    } catch (e) {
      problems.push(`${w.file}: ${e instanceof TypeError ? "not UTF-8 text" : `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`}`);
      continue;
    }
    files.push({ path: w.path, sha256: sha256Hex(content), content });
  }

  if (problems.length > 0) throw new UserError(`policy bundle: refusing to bundle ${dir}:\n${problems.join("\n")}`, EXIT.DATAERR);
  if (files.length === 0) throw new UserError(`policy bundle: ${dir} holds nothing to bundle (policies/*.yaml, sigma/**/*.yml, patterns/*.json)`, EXIT.DATAERR);
  if (files.length > MAX_BUNDLE_FILES) throw new UserError(`policy bundle: ${files.length} files, over the ${MAX_BUNDLE_FILES} a bundle may have`, EXIT.DATAERR);

  let bundle: Bundle;
  try {
    bundle = signBundle({ format: BUNDLE_FORMAT, version: v, created: now.toISOString(), files }, privateKeyPem);
  } catch (e) {
    if (e instanceof BundleError) throw new UserError(`policy bundle: ${e.message}`, EXIT.DATAERR);
    throw e;
  }
  const size = Buffer.byteLength(bundleText(bundle), "utf8");
  if (size > MAX_BUNDLE_BYTES) throw new UserError(`policy bundle: ${size} bytes, over the ${MAX_BUNDLE_BYTES} a bundle may have`, EXIT.DATAERR);
  return bundle;
}

function versionFile(dir: string): string {
  const f = join(dir, "VERSION");
  let text: string;
  try {
    text = readFileSync(f, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError(`policy bundle: no version: give --bundle-version V or write it in ${f}`, EXIT.USAGE);
    throw new UserError(`policy bundle: ${f}: cannot read (${code ?? String(e)})`, EXIT.NOINPUT);
  }
  return (text.split("\n")[0] ?? "").trim();
}

function bundlePath(dir: string, file: string): string {
  return relative(dir, file).split(sep).join("/");
}
