// Per-event decision latency of the detector (behaviour + shipped policies) over a realistic mix
// of events, and over the events recorded from the real auditd (test/fixtures/audit/) when present.
// Goal: p99 <= 20 µs. Run: node scripts/run-bench.mjs decision
import { join } from "node:path";
import { defaultConfig } from "../src/config/index.js";
import { createDetector } from "../src/detect/index.js";
import { createExeIdentity, identityEnricher } from "../src/enrich/index.js";
import type { Event } from "../src/events/index.js";
import { corpus, fixtureEvents } from "./events-mix.js";
import { measure } from "./latency.js";
import { table } from "./timing.js";

const root = process.cwd();
const GOAL_US = 20;

const detector = createDetector({ config: defaultConfig(), resolveHost: () => [], policyDirs: [join(root, "policies")], sigmaDirs: [] });
// The live route: the identity enricher (hashing, cached by inode) runs before the detector, so it is timed with it.
const identity = identityEnricher(createExeIdentity());
const decide = (e: Event): unknown[] => {
  e.process!.identity = undefined;
  identity.enrich(e);
  return detector.evaluate(e);
};
console.log(`detector: ${detector.policyCount} policy rules from ${detector.sources.length} file(s), behaviour rules built in; goal p99 <= ${GOAL_US} µs`);
const rows: (string | number)[][] = [["corpus", "events", "samples", "alerting", "p50 µs", "p99 µs", "p99.9 µs", "p99/goal"]];
rows.push(measure("generated mix (95% daily work)", corpus(20_000), 5, decide, GOAL_US));
const fx = fixtureEvents(root);
if (fx.length > 0) rows.push(measure("recorded auditd fixtures", fx, 200, decide, GOAL_US));
else rows.push(["recorded auditd fixtures", 0, 0, 0, "-", "-", "-", "absent"]);
console.log(table(rows));
