// Sigma rules evaluated natively: the load time of SigmaHQ's Linux rules (read from the corpus,
// never copied here) and the per-event decision latency with them loaded, beside the built-in
// rules alone on the same events in the same run. Goals: load <= 1 s, p99 <= 30 µs.
// Run: node scripts/run-bench.mjs sigma [CORPORA_DIR]   (default ../shared/corpora)
import { existsSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "../src/config/index.js";
import { createDetector, loadSigma } from "../src/detect/index.js";
import { createExeIdentity, identityEnricher } from "../src/enrich/index.js";
import type { Event } from "../src/events/index.js";
import { corpus, fixtureEvents } from "./events-mix.js";
import { measure } from "./latency.js";
import { table } from "./timing.js";

const root = process.cwd();
const GOAL_US = 30;
const GOAL_LOAD_MS = 1000;
const corpora = process.env.CLAWAV_CORPORA ?? join(root, "..", "shared", "corpora");
const rulesDir = join(corpora, "sigma-linux", "rules", "linux");
if (!existsSync(rulesDir)) {
  console.log(`sigma: ${rulesDir} is absent (set CLAWAV_CORPORA to the folder holding sigma-linux/); nothing measured`);
  process.exit(0);
}

// Load time: the first load pays module and regex compilation warm-up, as a daemon's start does.
const loads: number[] = [];
let compiled = 0;
let files = 0;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const r = loadSigma([rulesDir]);
  loads.push(performance.now() - t0);
  compiled = r.rules.length;
  files = r.results.length;
}
console.log(table([
  ["load", "rules", "compiled", "first ms", "best ms", "goal ms", "first/goal"],
  ["SigmaHQ rules/linux", files, compiled, loads[0]!.toFixed(0), Math.min(...loads).toFixed(0), GOAL_LOAD_MS, (loads[0]! / GOAL_LOAD_MS).toFixed(2)],
]));

const base = { config: defaultConfig(), resolveHost: () => [], policyDirs: [join(root, "policies")] };
const builtin = createDetector({ ...base, sigmaDirs: [] });
const withSigma = createDetector({ ...base, sigmaDirs: [rulesDir] });
const identity = identityEnricher(createExeIdentity());
const judge = (d: typeof builtin) => (e: Event): unknown[] => {
  e.process!.identity = undefined;
  identity.enrich(e);
  return d.evaluate(e);
};
console.log(`\nbuilt-in: ${builtin.policyCount} policy rules; with Sigma: ${withSigma.policyCount} (${withSigma.sigma.compiled} Sigma); goal p99 <= ${GOAL_US} µs`);
const rows: (string | number)[][] = [["rules", "corpus", "events", "samples", "alerting", "p50 µs", "p99 µs", "p99.9 µs", "p99/goal"]];
const mix = corpus(20_000);
const fx = fixtureEvents(root);
for (const [name, d] of [["built-in alone", builtin], ["built-in + SigmaHQ", withSigma]] as const) {
  rows.push([name, ...measure("generated mix", mix, 5, judge(d), GOAL_US)]);
  if (fx.length > 0) rows.push([name, ...measure("recorded auditd fixtures", fx, 200, judge(d), GOAL_US)]);
}
console.log(table(rows));
