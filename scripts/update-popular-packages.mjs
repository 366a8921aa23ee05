// Regenerates policies/packages/{npm,pypi,crates}.json, the popular names the typosquat judge
// (src/detect/supply/typosquat.ts) compares installs against, from the public download counts.
// Needs the network, so it is run by hand and never by the tests:
//   node scripts/update-popular-packages.mjs [npm] [pypi] [crates] [--dir DIR] [--dry-run]
// go.json is kept by hand: proxy.golang.org publishes no download counts and pkg.go.dev's
// importer counts have no API.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = new URL("..", import.meta.url).pathname;
const TIMEOUT_MS = 30_000;
// crates.io refuses requests without a User-Agent that says who is asking.
const USER_AGENT = "clawav update-popular-packages.mjs (typosquat list refresh)";

// How many names each list keeps; more names catch more squats but flag more honest neighbours.
const LIMITS = { npm: 900, pypi: 700, crates: 450 };

// Per-platform binary builds (@esbuild/linux-x64, @img/sharp-linuxmusl-x64) are top downloads
// that nobody types: they only add noise to the judge.
const PLATFORM_BUILD = /(linux|darwin|win32|musl|gnu|x64|arm64|android|freebsd)/;

const NPM_SEARCH_TEXTS = [
  "keywords:javascript", "keywords:typescript", "keywords:react", "keywords:vue", "keywords:cli", "keywords:eslint",
  "keywords:babel", "keywords:webpack", "keywords:test", "keywords:http", "keywords:server", "keywords:util", "keywords:node",
  "keywords:css", "keywords:aws", "keywords:database", "keywords:types", "keywords:promise", "keywords:stream", "keywords:parser",
];

class FetchError extends Error {}

const progress = (line) => console.error(line);

/** One GET of a JSON document; every failure becomes one FetchError line naming the URL. */
export async function getJson(url, label) {
  let res;
  try {
    res = await fetch(url, { headers: { "user-agent": USER_AGENT, accept: "application/json" }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new FetchError(`${label}: fetching ${url} failed: ${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(e)}`);
  }
  if (!res.ok) throw new FetchError(`${label}: ${url} answered HTTP ${res.status} ${res.statusText}`.trimEnd());
  try {
    return await res.json();
  } catch {
    throw new FetchError(`${label}: ${url} did not answer with JSON`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const normalizePypi = (name) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** Most downloaded first; ties keep their order; duplicates and platform builds dropped. */
export function topByCount(counts, limit) {
  return [...counts.entries()]
    .filter(([name]) => !PLATFORM_BUILD.test(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name]) => name);
}

// --- npm: names from the current list and the registry's popularity search, ranked by the
// download counts API (the search has no counts, the counts API has no ranking).

async function npmNames(current) {
  const seed = new Set(current);
  for (const text of NPM_SEARCH_TEXTS) {
    for (let from = 0; from < 500; from += 250) {
      const url = `https://registry.npmjs.org/-/v1/search?text=${encodeURIComponent(text)}&popularity=1.0&quality=0.0&maintenance=0.0&size=250&from=${from}`;
      const body = await getJson(url, "npm search");
      for (const o of body.objects ?? []) if (o?.package?.name) seed.add(o.package.name);
      progress(`npm: search ${text} from ${from}: ${seed.size} names so far`);
    }
  }
  const counts = new Map();
  const unscoped = [...seed].filter((n) => !n.startsWith("@"));
  const pages = Math.ceil(unscoped.length / 128);
  // The bulk endpoint takes at most 128 names a request, and no scoped names at all.
  for (let i = 0; i < unscoped.length; i += 128) {
    const chunk = unscoped.slice(i, i + 128);
    const body = await getJson(`https://api.npmjs.org/downloads/point/last-month/${chunk.join(",")}`, "npm downloads");
    const entries = chunk.length === 1 ? [[chunk[0], body]] : Object.entries(body);
    for (const [name, v] of entries) if (v && typeof v.downloads === "number") counts.set(name, v.downloads);
    progress(`npm: downloads page ${i / 128 + 1}/${pages}`);
  }
  const scoped = [...seed].filter((n) => n.startsWith("@"));
  for (const [i, name] of scoped.entries()) {
    const body = await getJson(`https://api.npmjs.org/downloads/point/last-month/${name}`, "npm downloads");
    if (typeof body?.downloads === "number") counts.set(name, body.downloads);
    progress(`npm: scoped downloads ${i + 1}/${scoped.length} (${name})`);
  }
  return topByCount(counts, LIMITS.npm);
}

// --- PyPI: hugovk's monthly ranking, itself computed from the public BigQuery dataset.

async function pypiNames() {
  const url = "https://hugovk.github.io/top-pypi-packages/top-pypi-packages-30-days.min.json";
  const body = await getJson(url, "pypi");
  if (!Array.isArray(body?.rows)) throw new FetchError(`pypi: ${url} has no "rows" array`);
  const counts = new Map();
  for (const row of body.rows) {
    const name = normalizePypi(String(row.project ?? ""));
    if (name && !counts.has(name)) counts.set(name, Number(row.download_count) || 0);
  }
  progress(`pypi: page 1/1: ${counts.size} projects`);
  return topByCount(counts, LIMITS.pypi);
}

// --- crates.io: its API sorts by all-time downloads, the same counts as its database dump.

async function cratesNames() {
  const names = [];
  for (let page = 1; names.length < LIMITS.crates; page++) {
    const url = `https://crates.io/api/v1/crates?sort=downloads&per_page=100&page=${page}`;
    const body = await getJson(url, "crates.io");
    const crates = Array.isArray(body?.crates) ? body.crates : [];
    for (const c of crates) if (c?.name && !names.includes(c.name)) names.push(c.name);
    progress(`crates: page ${page}: ${names.length} crates`);
    if (crates.length === 0) break;
    await sleep(1000); // crates.io's crawler policy: at most one request a second
  }
  return names.slice(0, LIMITS.crates);
}

const SOURCES = {
  npm: "npm registry download counts (api.npmjs.org/downloads/point/last-month) for the names of the previous list and of registry.npmjs.org/-/v1/search?popularity=1.0; generated from those rankings by scripts/update-popular-packages.mjs, per-platform binary builds left out; most downloaded first.",
  pypi: "PyPI download counts from the public BigQuery dataset, as ranked by hugovk top-pypi-packages (hugovk.github.io/top-pypi-packages/top-pypi-packages-30-days.min.json); generated from that ranking by scripts/update-popular-packages.mjs; names normalised per PEP 503; most downloaded first.",
  crates: "crates.io download counts (crates.io/api/v1/crates?sort=downloads, the counts of its database dump); generated from that ranking by scripts/update-popular-packages.mjs; most downloaded first.",
};

const FETCHERS = { npm: npmNames, pypi: pypiNames, crates: cratesNames };

function readCurrent(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8")).packages ?? [];
  } catch {
    return [];
  }
}

function writeList(file, eco, packages) {
  const doc = { source: SOURCES[eco], generated: new Date().toISOString().slice(0, 10), packages };
  // Written aside and renamed, so a crash never leaves the judge a half-written list.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

function parseArgs(argv) {
  const opts = { ecosystems: [], dir: join(ROOT, "policies", "packages"), dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--dir") opts.dir = argv[++i];
    else if (a === "--dry-run") opts.dryRun = true;
    else if (a in FETCHERS) opts.ecosystems.push(a);
    else throw new Error(`unknown argument ${a} (expected npm, pypi, crates, --dir DIR, --dry-run)`);
  }
  if (!opts.dir) throw new Error("--dir needs a directory");
  if (opts.ecosystems.length === 0) opts.ecosystems = Object.keys(FETCHERS);
  return opts;
}

async function main() {
  if (process.env.VITEST) throw new Error("needs the network and is never run by the tests");
  const opts = parseArgs(process.argv.slice(2));
  for (const eco of opts.ecosystems) {
    const file = join(opts.dir, `${eco}.json`);
    const names = await FETCHERS[eco](readCurrent(file));
    if (names.length === 0) throw new Error(`${eco}: no names came back; ${file} left as it was`);
    if (opts.dryRun) progress(`${eco}: ${names.length} names (dry run, ${file} not written): ${names.slice(0, 10).join(", ")}, ...`);
    else {
      writeList(file, eco, names);
      progress(`${eco}: wrote ${names.length} names to ${file}`);
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(`update-popular-packages: ${String(e?.message ?? e).split("\n")[0]}`);
    process.exit(1);
  });
}
