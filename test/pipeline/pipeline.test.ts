import { describe, expect, it } from "vitest";
import { Pipeline, type AlertGate } from "../../src/pipeline/pipeline.js";
import { ProcessTable, createWatchedUsers } from "../../src/enrich/index.js";
import { defaultConfig } from "../../src/config/index.js";
import type { Alert, Event } from "../../src/events/index.js";
import type { Engine } from "../../src/pipeline/types.js";

const ev = (pid: number, uid: number, exe: string, ts = 1000): Event => ({
  id: pid.toString(16).padStart(16, "0"), ts, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel",
  process: { pid, ppid: 1, uid, auid: uid, euid: uid, exe, comm: "x", argv: [exe] },
});

/** Flags every exec of /usr/bin/curl: a real, if tiny, engine. */
const curlEngine: Engine = {
  name: "test",
  evaluate: (e) =>
    e.process?.exe === "/usr/bin/curl"
      ? [{ event_id: e.id, ts: e.ts, severity: "warning", category: "DATA_EXFIL", rule: "curl", engine: "test", summary: "curl", action: "alert", node_id: "n", policy_version: "t", event: e }]
      : [],
};

/** Admits the first alert of each rule only. */
function firstOnly(): AlertGate {
  const seen = new Set<string>();
  return { admit: (a) => (seen.has(a.rule) ? undefined : (seen.add(a.rule), a)) };
}

function build(engines: Engine[], gate?: AlertGate) {
  const recorded: Alert[] = [];
  const delivered: Alert[] = [];
  const p = new Pipeline({
    table: new ProcessTable(),
    watched: createWatchedUsers(defaultConfig(), 0, () => undefined),
    engines: () => engines,
    recorder: { record: (a) => recorded.push(a) },
    gate,
    deliver: (a) => delivered.push(a),
  });
  return { p, recorded, delivered };
}

describe("Pipeline", () => {
  it("records every alert in the chain before the gate thins them", () => {
    const { p, recorded, delivered } = build([curlEngine], firstOnly());
    p.handle(ev(10, 1000, "/usr/bin/curl"));
    p.handle(ev(11, 1000, "/usr/bin/curl"));
    expect(recorded.map((a) => a.event_id)).toEqual(["000000000000000a", "000000000000000b"]);
    expect(delivered.map((a) => a.event_id)).toEqual(["000000000000000a"]);
    expect(p.stats).toMatchObject({ events: 2, alerts: 2, admitted: 1, suppressed: 1 });
  });

  it("does not judge processes of unwatched users", () => {
    const { p, recorded } = build([curlEngine]);
    expect(p.handle(ev(10, 0, "/usr/bin/curl"))).toEqual([]);
    expect(recorded).toEqual([]);
    expect(p.stats.ignored_unwatched).toBe(1);
  });

  it("keeps going when an engine throws, and counts it", () => {
    const broken: Engine = { name: "broken", evaluate: () => { throw new Error("boom"); } };
    const { p, delivered } = build([broken, curlEngine]);
    p.handle(ev(10, 1000, "/usr/bin/curl"));
    expect(delivered).toHaveLength(1);
    expect(p.stats.engine_errors).toBe(1);
    expect(p.engineError).toBe("broken: boom");
  });

  it("enriches lineage before the engines see the event", () => {
    let seen: Event | undefined;
    const spy: Engine = { name: "spy", evaluate: (e) => ((seen = e), []) };
    const { p } = build([spy]);
    p.handle(ev(10, 1000, "/usr/bin/node"));
    p.handle({ ...ev(11, 1000, "/bin/sh"), process: { ...ev(11, 1000, "/bin/sh").process!, ppid: 10 } });
    expect(seen!.process!.lineage![0]).toEqual({ pid: 10, exe: "/usr/bin/node" });
  });
});
