// Golden outputs, as laurel keeps them: each recorded audit fixture has the events and the alerts
// the pipeline makes of it checked in beside it. Any difference fails; `UPDATE_GOLDEN=1 npm test`
// writes them anew (then read the diff before committing it).
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema } from "../src/config/index.js";
import { EventIdGenerator, type Alert, type Event } from "../src/events/index.js";
import { createAuditAssembler } from "../src/sources/auditd/index.js";
import { createWatchedUsers, noUserNames } from "../src/enrich/index.js";
import { createDetector } from "../src/detect/index.js";
import { createGateEngine } from "../src/gate/index.js";
import { buildPipeline } from "../src/daemon/index.js";
import { PACKAGE_ROOT } from "../src/version.js";

const AUDIT = join(PACKAGE_ROOT, "test", "fixtures", "audit");
const GOLDEN = join(PACKAGE_ROOT, "test", "fixtures", "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

/** The replay route with facts from the records only: the same answer on any machine. */
function run(name: string): { events: Event[]; alerts: Alert[] } {
  const config = configSchema.parse({ general: { node_id: "golden" } });
  const ids = new EventIdGenerator();
  const watched = createWatchedUsers(config, 0, () => undefined);
  const detector = createDetector({ config });
  const gate = createGateEngine(() => config.general.policy_version);
  const events: Event[] = [];
  const alerts: Alert[] = [];
  const { pipeline } = buildPipeline({ config, nodeId: "golden", watched, factsFrom: "records", users: noUserNames, engines: () => [detector, gate], sinks: [], recorder: { record: (a) => alerts.push(a), note: () => {} }, nextId: () => ids.take() });
  const asm = createAuditAssembler({ nodeId: "golden", ids, recordClock: true });
  const handle = (e: Event) => {
    pipeline.handle(e);
    events.push(e);
  };
  for (const line of readFileSync(join(AUDIT, `${name}.log`), "utf8").split("\n")) if (line !== "") for (const e of asm.push(line, 0)) handle(e);
  for (const e of asm.end()) handle(e);
  return { events, alerts };
}

const ndjson = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).join("\n") + (xs.length > 0 ? "\n" : "");

describe("golden outputs of the recorded audit fixtures", () => {
  const names = readdirSync(AUDIT).filter((f) => f.endsWith(".log")).map((f) => f.slice(0, -4)).sort();
  it("has fixtures to check", () => expect(names.length).toBeGreaterThanOrEqual(9));
  for (const name of names) {
    it(`${name}: events and alerts as checked in`, () => {
      const { events, alerts } = run(name);
      for (const [kind, got] of [["events", ndjson(events)], ["alerts", ndjson(alerts)]] as const) {
        const file = join(GOLDEN, `${name}.${kind}.ndjson`);
        if (UPDATE) writeFileSync(file, got);
        expect(existsSync(file), `${file} is missing: run UPDATE_GOLDEN=1 npm test`).toBe(true);
        const want = readFileSync(file, "utf8");
        // Line by line, so a failure shows the first event that changed rather than one huge string.
        const g = got.split("\n");
        const w = want.split("\n");
        for (let i = 0; i < Math.max(g.length, w.length); i++) expect(g[i], `${name}.${kind}.ndjson line ${i + 1}`).toBe(w[i]);
      }
    });
  }
});
