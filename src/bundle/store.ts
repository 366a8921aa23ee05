// Where an applied bundle lives on a host:
//
//   <stateDir>/bundle/current.json    the signed bundle in force (0600): the truth, verified on each read
//   <stateDir>/bundle/<version>/      its files, as the loaders read them (folders 0700, files 0600)
//
// A version folder is written whole under a temporary name and renamed into place, and
// current.json is replaced by rename: a crash leaves the old bundle or the new one, never half.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { bundleText, isVersion, parseBundle, type Bundle } from "./format.js";
import type { KeyObject } from "node:crypto";

export const CURRENT_FILE = "current.json";

export function bundleRoot(stateDir: string): string {
  return join(stateDir, "bundle");
}

export function versionDir(stateDir: string, version: string): string {
  if (!isVersion(version)) throw new Error(`not a bundle version: ${JSON.stringify(version)}`);
  return join(bundleRoot(stateDir), version);
}

function writeFileDurably(file: string, text: string, mode: number, flag: "w" | "wx"): void {
  const fd = openSync(file, flag, mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the bundle's files into <stateDir>/bundle/<version>/ (replacing a folder of that version
 * left by an earlier try) and returns that folder. current.json is not touched: see commitBundle.
 */
export function writeBundleDir(bundle: Bundle, stateDir: string): string {
  const root = bundleRoot(stateDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const target = versionDir(stateDir, bundle.version);
  // A dot name: never a version, so a crash's leftover is never taken for one (and is swept later).
  const tmp = join(root, `.tmp-${bundle.version}-${process.pid}-${randomBytes(4).toString("hex")}`);
  mkdirSync(tmp, { mode: 0o700 });
  try {
    for (const f of bundle.files) {
      // Paths were checked by parseBundle (relative, no .., in the three folders).
      const file = join(tmp, ...f.path.split("/"));
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileDurably(file, f.content, 0o600, "wx");
    }
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return target;
}

/**
 * Makes the bundle the one in force: current.json replaced atomically, then every other version's
 * folder (and temporary leftovers) removed. `raw`: the signed file as received, kept byte for byte;
 * default, the bundle written out again (it verifies the same: the signature covers its fields).
 */
export function commitBundle(bundle: Bundle, stateDir: string, raw?: string): void {
  const root = bundleRoot(stateDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const file = join(root, CURRENT_FILE);
  const tmp = `${file}.tmp`;
  writeFileDurably(tmp, raw ?? bundleText(bundle), 0o600, "w");
  renameSync(tmp, file);
  for (const n of readdirSync(root)) {
    if (n === CURRENT_FILE || n === bundle.version) continue;
    if (isVersion(n) || n.startsWith(".tmp-")) rmSync(join(root, n), { recursive: true, force: true });
  }
}

/** Removes a version's folder that was written but not committed (its rules were refused). */
export function discardBundleDir(stateDir: string, version: string): void {
  rmSync(versionDir(stateDir, version), { recursive: true, force: true });
}

/** Writes the files, then makes the bundle current; returns the folder of its files. */
export function applyBundle(bundle: Bundle, stateDir: string, raw?: string): string {
  const dir = writeBundleDir(bundle, stateDir);
  commitBundle(bundle, stateDir, raw);
  return dir;
}

/**
 * The bundle in force, verified again (the state folder is only as safe as its permissions), with
 * its folder: written again from current.json when a file there is missing, changed or extra.
 * Undefined when there is none, or when current.json does not verify (`onInvalid` says why).
 */
export function loadCurrent(stateDir: string, publicKeyPem: string | KeyObject, onInvalid?: (reason: string) => void): { bundle: Bundle; dir: string } | undefined {
  const file = join(bundleRoot(stateDir), CURRENT_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") onInvalid?.(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    return undefined;
  }
  const r = parseBundle(text, publicKeyPem);
  if ("error" in r) {
    onInvalid?.(`${file}: ${r.error.message}`);
    return undefined;
  }
  const dir = versionDir(stateDir, r.bundle.version);
  if (!matchesDisk(r.bundle, dir)) writeBundleDir(r.bundle, stateDir);
  return { bundle: r.bundle, dir };
}

function matchesDisk(bundle: Bundle, dir: string): boolean {
  const want = new Map(bundle.files.map((f) => [f.path, f.content]));
  const found: string[] = [];
  const walk = (d: string, prefix: string): boolean => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return false;
    }
    for (const n of names) {
      const p = join(d, n);
      // Not followed: a link is not something the store wrote, so the folder is written again.
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (st?.isDirectory()) {
        if (!walk(p, `${prefix}${n}/`)) return false;
      } else if (st?.isFile()) found.push(`${prefix}${n}`);
      else return false;
    }
    return true;
  };
  if (!walk(dir, "")) return false;
  if (found.length !== want.size) return false;
  for (const path of found) {
    const content = want.get(path);
    if (content === undefined) return false;
    try {
      if (readFileSync(join(dir, ...path.split("/")), "utf8") !== content) return false;
    } catch {
      return false;
    }
  }
  return true;
}
