// Typosquat judging for package installs. A name one slip of the keyboard (or one squatter's
// trick) away from a package everybody installs is the cheapest way to get code run on a
// developer's machine, and an agent copying names from memory or a web page slips the same way.
// Everything here is pure except loadPopular, so the detector can judge an argv on the hot path.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT, UserError } from "../../errors/index.js";

export type Ecosystem = "npm" | "pypi" | "crates" | "go";

export const ECOSYSTEMS: readonly Ecosystem[] = ["npm", "pypi", "crates", "go"];

/** Which trick makes the name look like its target. */
export type SquatKind =
  | "scope-dropped"
  | "scope-added"
  | "scope-swapped"
  | "separator"
  | "affix"
  | "homoglyph"
  | "swapped-letters"
  | "doubled-letter"
  | "dropped-letter"
  | "extra-letter"
  | "replaced-letter"
  | "two-edits";

export interface Squat {
  /** The popular name imitated, as published. */
  target: string;
  /** Damerau-Levenshtein (optimal string alignment) distance between the normalised names. */
  distance: number;
  kind: SquatKind;
}

export type PopularLists = Readonly<Record<Ecosystem, ReadonlySet<string>>>;

// ---------------------------------------------------------------------------------------------
// The lists

const LIST_FILES: Readonly<Record<Ecosystem, string>> = { npm: "npm.json", pypi: "pypi.json", crates: "crates.json", go: "go.json" };

/** Reads policies/packages/{npm,pypi,crates,go}.json; names are kept as published, most popular first. */
export function loadPopular(dir: string): Record<Ecosystem, ReadonlySet<string>> {
  return {
    npm: readList(join(dir, LIST_FILES.npm)),
    pypi: readList(join(dir, LIST_FILES.pypi)),
    crates: readList(join(dir, LIST_FILES.crates)),
    go: readList(join(dir, LIST_FILES.go)),
  };
}

function readList(file: string): ReadonlySet<string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`popular package list ${file}: cannot read it (${messageOf(e)})`, EXIT.NOINPUT);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`popular package list ${file}: not valid JSON (${messageOf(e)})`);
  }
  const names = typeof data === "object" && data !== null ? (data as { packages?: unknown }).packages : undefined;
  if (!Array.isArray(names) || !names.every((n) => typeof n === "string" && n.trim() !== "")) {
    throw new UserError(`popular package list ${file}: "packages" must be an array of package names`);
  }
  return new Set(names as string[]);
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// ---------------------------------------------------------------------------------------------
// Names

/** The form under which the registry itself considers two names the same package. */
export function normalize(eco: Ecosystem, name: string): string {
  const n = name.trim().toLowerCase();
  if (eco === "pypi") return n.replace(/[-_.]+/g, "-"); // PEP 503
  if (eco === "crates") return n.replace(/_/g, "-"); // crates.io refuses a name differing only by - vs _
  return n;
}

/** A module's major versions (/v2, gopkg.in's .v3) are one project, not squats of each other. */
function goBase(path: string): string {
  return path.replace(/\/v\d+$/, "").replace(/^(gopkg\.in\/.+?)\.v\d+$/, "$1");
}

function keyOf(eco: Ecosystem, name: string): string {
  const n = normalize(eco, name);
  return eco === "go" ? goBase(n) : n;
}

function splitScope(key: string): { scope: string | undefined; bare: string } {
  const slash = key.indexOf("/");
  if (!key.startsWith("@") || slash < 0) return { scope: undefined, bare: key };
  return { scope: key.slice(1, slash), bare: key.slice(slash + 1) };
}

const tailOf = (key: string): string => key.slice(key.lastIndexOf("/") + 1);

/** Separators removed: what is left when `cross-env`, `crossenv` and `cross_env` are compared. */
function skeleton(eco: Ecosystem, key: string): string {
  if (eco === "npm") return key.replace(/[-_.@/]/g, "");
  if (eco === "go") return key.replace(/[-_.]/g, ""); // "/" separates host, owner and repo: keep it
  return key.replace(/-/g, "");
}

/** Characters that read alike in a terminal or a README are folded to one. */
function foldGlyphs(key: string): string {
  return key.replace(/rn/g, "m").replace(/vv/g, "w").replace(/1/g, "l").replace(/0/g, "o");
}

// Prefixes and suffixes a squatter adds to a real name to make it look official.
const AFFIXES: Readonly<Record<Ecosystem, { prefixes: readonly string[]; suffixes: readonly string[] }>> = {
  npm: { prefixes: ["node-", "nodejs-", "js-", "node."], suffixes: ["-js", ".js", "js", "-node", "-nodejs", "-npm", "-ts"] },
  pypi: { prefixes: ["py-", "python-", "python3-"], suffixes: ["-py", "-python", "-python3"] },
  crates: { prefixes: ["rust-"], suffixes: ["-rs", "-rust"] },
  go: { prefixes: ["go-", "golang-"], suffixes: ["-go", "-golang"] },
};

// ---------------------------------------------------------------------------------------------
// Edit distance

/**
 * Below 4 characters nearly every name is one edit from some popular one (ms, qs, ws, pg), so
 * edit distance says nothing there; below 5 only one edit is tolerated.
 */
const MIN_EDIT_LENGTH = 4;

function editLimit(a: number, b: number): number {
  const shorter = Math.min(a, b);
  return shorter < MIN_EDIT_LENGTH ? 0 : shorter < 5 ? 1 : 2;
}

// Three reusable rows: a lookup runs a few dozen distances, and allocating rows for each was
// most of its cost.
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)] as const;
const FAR = 1 << 29;

/**
 * Optimal string alignment distance (Damerau-Levenshtein without re-editing a transposed pair),
 * computed only in the diagonal band |i - j| <= limit: any path leaving it already costs more.
 * Returns limit + 1 as soon as the distance must exceed `limit`.
 */
function osa(a: string, b: string, limit = Number.MAX_SAFE_INTEGER): number {
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > limit) return limit + 1;
  const k = Math.min(limit, Math.max(n, m));
  if (rows[0].length < m + 2) rows = [new Int32Array(m + 2), new Int32Array(m + 2), new Int32Array(m + 2)];
  let [before, prev, cur] = rows;
  for (let j = 0; j <= m + 1; j++) prev[j] = j <= k ? j : FAR;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - k);
    const hi = Math.min(m, i + k);
    cur[lo - 1] = lo === 1 ? i : FAR;
    let rowMin = lo === 1 ? i : FAR;
    const ai = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = prev[j - 1]! + (ai === bj ? 0 : 1);
      const up = prev[j]! + 1;
      const left = cur[j - 1]! + 1;
      if (up < v) v = up;
      if (left < v) v = left;
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj && before[j - 2]! + 1 < v) v = before[j - 2]! + 1;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (hi < m) cur[hi + 1] = FAR;
    if (rowMin > limit) return limit + 1;
    const spare = before;
    before = prev;
    prev = cur;
    cur = spare;
  }
  const d = prev[m]!;
  return d > limit ? limit + 1 : d;
}

/** Names the single edit turning `target` into `name` (distance 1). */
function editKind(name: string, target: string): SquatKind {
  let i = 0;
  while (i < name.length && i < target.length && name[i] === target[i]) i++;
  if (name.length === target.length) {
    const swapped = name[i] === target[i + 1] && name[i + 1] === target[i] && name.slice(i + 2) === target.slice(i + 2);
    return swapped ? "swapped-letters" : "replaced-letter";
  }
  if (name.length > target.length) return name[i] === name[i - 1] || name[i] === name[i + 1] ? "doubled-letter" : "extra-letter";
  return "dropped-letter";
}

// ---------------------------------------------------------------------------------------------
// The index: built once per list, so a lookup touches a few dozen names, not all of them.

interface Index {
  eco: Ecosystem;
  /** key → name as published and its rank (0 = most downloaded). */
  names: Map<string, { name: string; rank: number }>;
  skeletons: Map<string, string>;
  glyphs: Map<string, string>;
  /** npm: bare name → the popular scoped keys with that bare name (`core` → @babel/core, ...). */
  scoped: Map<string, string[]>;
  /** bucketKey(length, char) → names of that length with that char among the first two of their tail. */
  buckets: Map<number, Entry[]>;
}

interface Entry {
  key: string;
  rank: number;
  anchors: readonly number[];
}

/**
 * A single edit among the first two characters of the last path segment still leaves the two
 * names sharing one of those characters (substitution, transposition, insertion or deletion
 * there), so bucketing by them loses no single-edit squat; the segment, not the whole name,
 * because every Go path starts with github.com and every scoped name with @.
 */
function anchors(key: string): number[] {
  const tail = tailOf(key) || key;
  const a = tail.charCodeAt(0);
  const b = tail.length > 1 ? tail.charCodeAt(1) : a;
  return b !== a ? [a, b] : [a];
}

const bucketKey = (length: number, anchor: number): number => length * 0x10000 + anchor;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function buildIndex(eco: Ecosystem, popular: ReadonlySet<string>): Index {
  const idx: Index = { eco, names: new Map(), skeletons: new Map(), glyphs: new Map(), scoped: new Map(), buckets: new Map() };
  for (const name of popular) {
    const key = keyOf(eco, name);
    if (key === "" || idx.names.has(key)) continue;
    idx.names.set(key, { name, rank: idx.names.size });
    // First come, first kept: on a collision the more downloaded name is the one imitated.
    const sk = skeleton(eco, key);
    if (!idx.skeletons.has(sk)) idx.skeletons.set(sk, key);
    const gl = foldGlyphs(key);
    if (!idx.glyphs.has(gl)) idx.glyphs.set(gl, key);
    const { scope, bare } = eco === "npm" ? splitScope(key) : { scope: undefined, bare: key };
    if (scope !== undefined) push(idx.scoped, bare, key);
    const entry: Entry = { key, rank: idx.names.size - 1, anchors: anchors(key) };
    for (const a of entry.anchors) push(idx.buckets, bucketKey(key.length, a), entry);
  }
  return idx;
}

// A list is read once and never changed (ReadonlySet), so its index can live as long as it does.
const indexCache = new WeakMap<ReadonlySet<string>, Partial<Record<Ecosystem, Index>>>();

function indexFor(eco: Ecosystem, popular: ReadonlySet<string>): Index {
  let perEco = indexCache.get(popular);
  if (!perEco) {
    perEco = {};
    indexCache.set(popular, perEco);
  }
  return (perEco[eco] ??= buildIndex(eco, popular));
}

const isSet = (p: ReadonlySet<string> | PopularLists): p is ReadonlySet<string> => typeof (p as ReadonlySet<string>).has === "function";

// ---------------------------------------------------------------------------------------------
// Judging

/**
 * The popular package `name` imitates, or undefined when it is popular itself or resembles none.
 * `popular` is either the list of that ecosystem or all four lists as loadPopular returns them.
 */
export function typosquatOf(eco: Ecosystem, name: string, popular: ReadonlySet<string> | PopularLists): Squat | undefined {
  const idx = indexFor(eco, isSet(popular) ? popular : popular[eco]);
  const key = keyOf(eco, name);
  if (key === "") return undefined;
  const prefixes = eco === "go" ? goPrefixes(key) : [key];
  // A package inside a popular Go module (github.com/spf13/cobra/doc) is that module.
  if (prefixes.some((p) => idx.names.has(p))) return undefined;
  let best: Squat | undefined;
  for (const root of eco === "go" ? goRoots(key, prefixes) : prefixes) {
    const found = judge(idx, root);
    if (found && (!best || found.distance < best.distance)) best = found;
  }
  return best;
}

/** Every `/`-bounded prefix of at least host/name, in its base form: a module is one of them. */
function goPrefixes(key: string): string[] {
  const parts = key.split("/");
  const out: string[] = [];
  for (let n = Math.min(2, parts.length); n <= parts.length; n++) out.push(goBase(parts.slice(0, n).join("/")));
  return out;
}

/** On the code hosts a module is exactly host/owner/repo; elsewhere any prefix may be the module. */
function goRoots(key: string, prefixes: readonly string[]): readonly string[] {
  const host = key.slice(0, key.indexOf("/"));
  if (["github.com", "gitlab.com", "bitbucket.org"].includes(host) && prefixes.length >= 2) return [prefixes[1]!];
  return prefixes;
}

function judge(idx: Index, key: string): Squat | undefined {
  return bySkeleton(idx, key) ?? byScope(idx, key) ?? byAffix(idx, key) ?? byGlyph(idx, key) ?? byEdit(idx, key);
}

function squat(idx: Index, key: string, target: string, kind: SquatKind, distance = osa(key, target)): Squat {
  return { target: idx.names.get(target)?.name ?? target, distance, kind };
}

function bySkeleton(idx: Index, key: string): Squat | undefined {
  const target = idx.skeletons.get(skeleton(idx.eco, key));
  if (target === undefined || target === key) return undefined;
  if (idx.eco !== "npm") return squat(idx, key, target, "separator");
  const mine = splitScope(key).scope !== undefined;
  const theirs = splitScope(target).scope !== undefined;
  return squat(idx, key, target, mine === theirs ? "separator" : theirs ? "scope-dropped" : "scope-added");
}

/** `@babeljs/core` for `@babel/core`: the same package under a look-alike scope. */
function byScope(idx: Index, key: string): Squat | undefined {
  if (idx.eco !== "npm") return undefined;
  const { scope, bare } = splitScope(key);
  if (scope === undefined) return undefined;
  for (const target of idx.scoped.get(bare) ?? []) {
    const theirs = splitScope(target).scope!;
    if (theirs !== scope && scopesAlike(scope, theirs)) return squat(idx, key, target, "scope-swapped");
  }
  return undefined;
}

function scopesAlike(a: string, b: string): boolean {
  if (Math.min(a.length, b.length) >= 3 && (a.includes(b) || b.includes(a))) return true;
  const limit = editLimit(a.length, b.length);
  return limit > 0 && osa(a, b, limit) <= limit;
}

/** `node-lodash`, `lodash.js`, `py-requests`, `serde-rs`: a popular name dressed up. */
function byAffix(idx: Index, key: string): Squat | undefined {
  const cut = key.lastIndexOf("/") + 1;
  const head = key.slice(0, cut);
  const tail = key.slice(cut);
  const { prefixes, suffixes } = AFFIXES[idx.eco];
  for (const p of ["", ...prefixes]) {
    if (!tail.startsWith(p)) continue;
    for (const s of ["", ...suffixes]) {
      if ((p === "" && s === "") || !tail.endsWith(s)) continue;
      const core = tail.slice(p.length, tail.length - s.length);
      if (core.length < 3) continue;
      const target = head + core;
      if (idx.names.has(target)) return squat(idx, key, target, "affix");
    }
  }
  return undefined;
}

function byGlyph(idx: Index, key: string): Squat | undefined {
  const target = idx.glyphs.get(foldGlyphs(key));
  return target === undefined || target === key ? undefined : squat(idx, key, target, "homoglyph");
}

function byEdit(idx: Index, key: string): Squat | undefined {
  const length = key.length;
  if (length < MIN_EDIT_LENGTH) return undefined;
  const [first, second] = anchors(key);
  let best: { entry: Entry; distance: number } | undefined;
  for (let len = Math.max(MIN_EDIT_LENGTH, length - 2); len <= length + 2; len++) {
    const limit = editLimit(length, len);
    if (Math.abs(length - len) > limit) continue;
    for (const anchor of second === undefined ? [first!] : [first!, second]) {
      for (const entry of idx.buckets.get(bucketKey(len, anchor)) ?? []) {
        // A name sharing both anchors sits in both buckets: judge it once.
        if (anchor === second && entry.anchors.includes(first!)) continue;
        const distance = osa(key, entry.key, limit);
        if (distance > limit) continue;
        if (!best || distance < best.distance || (distance === best.distance && entry.rank < best.entry.rank)) best = { entry, distance };
      }
    }
  }
  if (!best) return undefined;
  const target = best.entry.key;
  return squat(idx, key, target, best.distance === 1 ? editKind(key, target) : "two-edits", best.distance);
}

// ---------------------------------------------------------------------------------------------
// Reading install commands

export interface InstallSource {
  kind: "url" | "git" | "path" | "registry";
  value: string;
}

export interface Install {
  eco: Ecosystem;
  tool: string;
  /** Registry package names, versions stripped: the names to judge. */
  packages: string[];
  /** Where code comes from other than the default registry: judged by where, not by name. */
  sources: InstallSource[];
}

interface Option {
  name: string;
  value: string | undefined;
}

interface Walked {
  options: Option[];
  words: string[];
}

/**
 * Reads the option at args[i]. An option listed in `takesValue` eats the next word (so
 * `--registry URL` is not read as a package); `attached` are short options that may carry their
 * value glued on (`-rreq.txt`). Returns the option and the index of the last word it used.
 */
function readOption(args: readonly string[], i: number, takesValue: ReadonlySet<string>, attached: readonly string[]): { option: Option; last: number } {
  const a = args[i]!;
  const eq = a.indexOf("=");
  if (eq > 0 && (a.startsWith("--") || takesValue.has(a.slice(0, eq)))) return { option: { name: a.slice(0, eq), value: a.slice(eq + 1) }, last: i };
  if (takesValue.has(a)) return { option: { name: a, value: args[i + 1] }, last: i + 1 };
  const short = attached.find((s) => a.startsWith(s) && a.length > s.length);
  return { option: short ? { name: short, value: a.slice(short.length) } : { name: a, value: undefined }, last: i };
}

const isOption = (a: string): boolean => a.startsWith("-") && a !== "-";

/** Splits arguments into options and positional words (everything after `--` is positional). */
function walk(args: readonly string[], takesValue: ReadonlySet<string>, attached: readonly string[] = []): Walked {
  const options: Option[] = [];
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      words.push(...args.slice(i + 1));
      break;
    }
    if (!isOption(a)) {
      words.push(a);
      continue;
    }
    const { option, last } = readOption(args, i, takesValue, attached);
    options.push(option);
    i = last;
  }
  return { options, words };
}

/** The first positional word and what follows it; the options before it still count. */
function subcommand(args: readonly string[], takesValue: ReadonlySet<string>, skip: (w: string) => boolean = () => false): { before: Option[]; sub: string | undefined; after: readonly string[] } {
  const before: Option[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return { before, sub: args[i + 1], after: args.slice(i + 2) };
    if (skip(a)) continue;
    if (!isOption(a)) return { before, sub: a, after: args.slice(i + 1) };
    const { option, last } = readOption(args, i, takesValue, []);
    before.push(option);
    i = last;
  }
  return { before, sub: undefined, after: [] };
}

const isUrl = (w: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(w) && !isGitUrl(w);
const isGitUrl = (w: string): boolean => /^(git\+[a-z]+:\/\/|git:\/\/|git@|ssh:\/\/git@|(?:github|gitlab|bitbucket|gist):)/i.test(w) || /\.git(#.*)?$/i.test(w);
const isLocalPath = (w: string): boolean => /^(\.{1,2}(\/|$)|\/|~\/|file:|link:|workspace:)/i.test(w) || /\.(tgz|tar\.gz|tar|whl|zip|tar\.bz2|crate)$/i.test(w);

function locate(w: string): InstallSource | undefined {
  if (isGitUrl(w)) return { kind: "git", value: w };
  if (isUrl(w)) return { kind: "url", value: w };
  if (isLocalPath(w)) return { kind: "path", value: w };
  return undefined;
}

/** Collects packages and sources; `spec` turns one positional word into either. */
function result(eco: Ecosystem, tool: string, sources: InstallSource[], specs: readonly string[], spec: (w: string) => string | InstallSource | undefined): Install {
  const packages: string[] = [];
  for (const w of specs) {
    const r = spec(w);
    if (typeof r === "string") packages.push(r);
    else if (r) sources.push(r);
  }
  return { eco, tool, packages, sources };
}

const basename = (p: string): string => p.slice(p.lastIndexOf("/") + 1);

/** What an install command will fetch, or undefined when argv is not a package install. */
export function parseInstall(argv: readonly string[]): Install | undefined {
  const head = argv[0];
  if (head === undefined) return undefined;
  const tool = basename(head);
  const args = argv.slice(1);
  if (tool === "npm" || tool === "pnpm" || tool === "yarn" || tool === "bun") return jsInstall(tool, args);
  if (/^pip(3(\.\d+)?)?$/.test(tool)) return pipCommand("pip", args);
  if (/^python(3(\.\d+)?)?$/.test(tool)) return pythonModule(args);
  if (tool === "uv") return uvCommand(args);
  if (tool === "cargo") return cargoCommand(args);
  if (tool === "go") return goCommand(args);
  return undefined;
}

// --- npm, pnpm, yarn, bun

type JsTool = "npm" | "pnpm" | "yarn" | "bun";

const JS_COMMANDS: Readonly<Record<JsTool, { add: ReadonlySet<string>; bare: ReadonlySet<string>; values: ReadonlySet<string> }>> = {
  npm: {
    add: new Set(["install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "install-test", "it"]),
    bare: new Set(["ci", "clean-install", "ic", "install-clean", "isntall-clean", "install-ci-test", "cit", "clean-install-test", "sit"]),
    values: new Set(["--registry", "--prefix", "-C", "--tag", "--workspace", "-w", "--cache", "--userconfig", "--globalconfig", "--loglevel", "--omit", "--include", "--install-strategy", "--save-prefix", "--before", "--cpu", "--os", "--libc", "--otp", "--proxy", "--https-proxy", "--cafile", "--script-shell", "--location"]),
  },
  pnpm: {
    add: new Set(["add", "install", "i"]),
    bare: new Set(),
    values: new Set(["--registry", "--filter", "-F", "--dir", "-C", "--store-dir", "--reporter", "--loglevel", "--virtual-store-dir", "--modules-dir", "--workspace-concurrency"]),
  },
  yarn: {
    add: new Set(["add"]),
    bare: new Set(["install"]),
    values: new Set(["--registry", "--cwd", "--modules-folder", "--cache-folder", "--network-timeout", "--mutex", "--global-folder", "--link-folder", "--use-yarnrc"]),
  },
  bun: {
    add: new Set(["add", "a", "install", "i"]),
    bare: new Set(),
    values: new Set(["--registry", "--cwd", "--backend", "--cache-dir", "-c", "--config", "--concurrent-scripts", "--network-concurrency", "--filter", "--omit", "--cafile", "--ca"]),
  },
};

function jsInstall(tool: JsTool, args: readonly string[]): Install | undefined {
  const { values, add, bare } = JS_COMMANDS[tool];
  const { before, sub, after } = subcommand(args, values);
  // Plain `yarn` installs the lockfile like `yarn install`.
  const isBare = sub === undefined ? tool === "yarn" : bare.has(sub);
  if (!isBare && (sub === undefined || !add.has(sub))) return undefined;
  const rest = walk(after, values);
  const sources = [...before, ...rest.options].flatMap(jsOptionSource);
  return result("npm", tool, sources, isBare ? [] : rest.words, npmSpec);
}

function jsOptionSource(o: Option): InstallSource[] {
  const registry = o.name === "--registry" || /^--@[^:]+:registry$/.test(o.name);
  return registry && o.value ? [{ kind: "registry", value: o.value }] : [];
}

const NPM_NAME = /^(@[^/@:\s]+\/)?[^/@:\s]+$/;
const GITHUB_SHORTHAND = /^[\w.-]+\/[\w.-]+(#.*)?$/; // npm reads `user/repo` as a GitHub repository

function locateNpm(w: string): InstallSource | undefined {
  return locate(w) ?? (GITHUB_SHORTHAND.test(w) ? { kind: "git", value: w } : undefined);
}

/** `lodash@4`, `@scope/x@1`, `alias@npm:real@2`, `user/repo`, `x@https://...`, `./dir`. */
function npmSpec(w: string): string | InstallSource | undefined {
  if (isGitUrl(w) || isUrl(w)) return locate(w); // before the @ split: git@host:..., https://user@host/...
  const at = w.indexOf("@", 1);
  if (at > 0 && NPM_NAME.test(w.slice(0, at))) {
    const version = w.slice(at + 1);
    if (version.startsWith("npm:")) return npmSpec(version.slice(4)); // an alias installs the real package
    const where = locateNpm(version);
    return where ? { kind: where.kind, value: w } : w.slice(0, at);
  }
  return locateNpm(w) ?? (NPM_NAME.test(w) ? w : undefined);
}

// --- pip, python -m pip, uv

const PIP_VALUES = new Set([
  "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
  "-t", "--target", "--prefix", "--root", "--src", "--platform", "--python-version", "--implementation", "--abi", "--upgrade-strategy",
  "--progress-bar", "-C", "--config-settings", "--global-option", "--install-option", "--trusted-host", "--proxy", "--cert",
  "--client-cert", "--cache-dir", "--log", "--log-file", "--timeout", "--retries", "--exists-action", "--no-binary", "--only-binary",
  "--report", "--root-user-action", "--python", "--keyring-provider", "--use-feature", "--use-deprecated", "--group",
  // uv's own
  "--index", "--default-index", "--index-strategy", "-p", "--resolution", "--prerelease", "--overrides", "--build-constraints",
  "--directory", "--project", "--config-file", "--color", "--link-mode", "--exclude-newer", "-P", "--upgrade-package",
]);
const PIP_ATTACHED = ["-r", "-c", "-e", "-i", "-f"];

function pipCommand(tool: string, args: readonly string[]): Install | undefined {
  const { before, sub, after } = subcommand(args, PIP_VALUES);
  return sub === "install" ? pipInstall(tool, before, after) : undefined;
}

function pipInstall(tool: string, before: readonly Option[], args: readonly string[]): Install {
  const { options, words } = walk(args, PIP_VALUES, PIP_ATTACHED);
  return result("pypi", tool, [...before, ...options].flatMap(pipOptionSource), words, pipSpec);
}

function pipOptionSource(o: Option): InstallSource[] {
  const v = o.value;
  if (!v) return [];
  switch (o.name) {
    case "-i":
    case "--index-url":
    case "--extra-index-url":
    case "--index":
    case "--default-index":
      return [{ kind: "registry", value: v }];
    case "-f":
    case "--find-links":
      return [{ kind: isUrl(v) ? "registry" : "path", value: v }];
    case "-e":
    case "--editable":
      // An editable install is always a checkout or a directory, never a registry name.
      return [locate(v) ?? { kind: "path", value: v }];
    case "-r":
    case "--requirement":
    case "-c":
    case "--constraint":
      // A local requirements file is read by whoever judges files; a remote one is a source.
      return isUrl(v) ? [{ kind: "url", value: v }] : [];
    default:
      return [];
  }
}

const PEP508_NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(.*)$/s;

/** `name==1.2`, `name>=1`, `name[extra]`, `name @ https://...`, `git+https://...`, `./pkg.whl`. */
function pipSpec(w: string): string | InstallSource | undefined {
  if (isGitUrl(w) || isUrl(w)) return locate(w);
  const m = PEP508_NAME.exec(w.trim());
  const rest = m?.[2] ?? "";
  if (rest.startsWith("@")) {
    // A PEP 508 direct reference: the name is only a label for what the URL holds.
    return { kind: locate(rest.slice(1).trim())?.kind ?? "url", value: w };
  }
  if (isLocalPath(w) || w.includes("/")) return { kind: "path", value: w };
  return m?.[1];
}

function pythonModule(args: readonly string[]): Install | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const mod = a === "-m" ? args[i + 1] : a.startsWith("-m") ? a.slice(2) : undefined;
    if (mod !== undefined) return mod === "pip" || mod === "pip3" ? pipCommand("pip", args.slice(a === "-m" ? i + 2 : i + 1)) : undefined;
    if (a === "-X" || a === "-W") i++; // options of the interpreter that take a value
    else if (!a.startsWith("-")) return undefined; // a script, not a module
  }
  return undefined;
}

const UV_ADD_VALUES = new Set([
  "--optional", "--group", "--index", "--default-index", "--index-url", "--extra-index-url", "-r", "--requirements", "--package",
  "--rev", "--tag", "--branch", "--python", "-p", "--extra", "--bounds", "--script", "--directory", "--project", "--marker", "-m",
  "--constraints", "-c", "--config-file", "--color", "--cache-dir", "--index-strategy", "--resolution", "--prerelease", "-f", "--find-links",
]);

function uvCommand(args: readonly string[]): Install | undefined {
  const { before, sub, after } = subcommand(args, UV_ADD_VALUES);
  if (sub === "pip") {
    const inner = subcommand(after, PIP_VALUES);
    return inner.sub === "install" ? pipInstall("uv", [...before, ...inner.before], inner.after) : undefined;
  }
  if (sub !== "add") return undefined;
  // `uv add --editable ./x` is a flag there, so uv add has its own table.
  const { options, words } = walk(after, UV_ADD_VALUES);
  return result("pypi", "uv", [...before, ...options].flatMap(pipOptionSource), words, pipSpec);
}

// --- cargo

const CARGO_VALUES = new Set([
  "--version", "--vers", "--git", "--branch", "--tag", "--rev", "--path", "--root", "--index", "--registry", "--features", "-F",
  "--target", "--target-dir", "--profile", "-j", "--jobs", "--bin", "--example", "--config", "-Z", "--color", "--rename",
  "--package", "-p", "--manifest-path", "--lockfile-path", "-C",
]);

function cargoCommand(args: readonly string[]): Install | undefined {
  const { before, sub, after } = subcommand(args, CARGO_VALUES, (w) => w.startsWith("+")); // +nightly
  if (sub !== "install" && sub !== "add") return undefined;
  const { options, words } = walk(after, CARGO_VALUES);
  const all = [...before, ...options];
  const sources = all.flatMap(cargoOptionSource);
  // With --git or --path the named crates come from there, not from crates.io.
  const fromElsewhere = all.some((o) => o.name === "--git" || o.name === "--path");
  return result("crates", "cargo", sources, words, (w) => locate(w) ?? (fromElsewhere ? undefined : w.split("@")[0] || undefined));
}

function cargoOptionSource(o: Option): InstallSource[] {
  if (!o.value) return [];
  if (o.name === "--git") return [{ kind: "git", value: o.value }];
  if (o.name === "--path") return [{ kind: "path", value: o.value }];
  if (o.name === "--index" || o.name === "--registry") return [{ kind: "registry", value: o.value }];
  return [];
}

// --- go

const GO_VALUE_FLAGS = ["C", "p", "o", "asmflags", "buildmode", "compiler", "gccgoflags", "gcflags", "installsuffix", "ldflags", "mod", "modfile", "overlay", "pgo", "pkgdir", "tags", "toolexec", "exec"];
// Go accepts -flag and --flag alike.
const GO_VALUES = new Set(GO_VALUE_FLAGS.flatMap((f) => [`-${f}`, `--${f}`]));
const GO_META_PATTERNS = new Set(["all", "std", "cmd", "tool"]);

function goCommand(args: readonly string[]): Install | undefined {
  const { sub, after } = subcommand(args, GO_VALUES);
  if (sub !== "get" && sub !== "install") return undefined;
  const { words } = walk(after, GO_VALUES);
  return result("go", "go", [], words, (w) => {
    if (GO_META_PATTERNS.has(w)) return undefined;
    return locate(w) ?? (w.split("@")[0] || undefined);
  });
}
