import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Aggregator, CrossSourceMatcher, Pipeline } from "../../src/pipeline/index.js";
import { ProcessTable, createWatchedUsers, lineageEnricher, watchedEvent } from "../../src/enrich/index.js";
import { defaultConfig } from "../../src/config/index.js";
import { sensorAlerts, sensorEvent } from "../../src/daemon/index.js";
import { AuditChain } from "../../src/chain/index.js";
import type { Alert, AlertSink, Engine, Event, Mitigation, Mitigator, Notice, Recorder } from "../../src/events/index.js";

const ev = (pid: number, uid: number, exe: string, ts = 1000): Event => ({
  id: pid.toString(16).padStart(16, "0"), ts, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel",
  process: { pid, ppid: 1, uid, auid: uid, euid: uid, exe, comm: "x", argv: [exe] },
});

/** Flags every exec of /usr/bin/curl: a real, if tiny, engine. */
const curlEngine: Engine = {
  name: "test",
  evaluate: (e) =>
    e.process?.exe === "/usr/bin/curl"
      ? [{ event_id: e.id, ts: e.ts, severity: "warning", category: "DATA_EXFIL", rule: "curl", engine: "test", summary: "curl", action: "kill", node_id: "n", policy_version: "t", event: e }]
      : [],
};

function alertFor(e: Event): Alert {
  return { event_id: e.id, ts: e.ts, severity: "warning", category: "DATA_EXFIL", rule: "r", engine: "test", summary: "s", action: "alert", node_id: "n", policy_version: "t", event: e };
}

function build(o: { engines?: Engine[]; recorder?: Recorder; mitigator?: Mitigator; sinks?: AlertSink[]; matcher?: CrossSourceMatcher } = {}) {
  const recorded: Alert[] = [];
  const notices: Notice[] = [];
  const order: string[] = [];
  let n = 0;
  const p = new Pipeline({
    enrichers: [lineageEnricher(new ProcessTable())],
    engines: () => o.engines ?? [curlEngine],
    isWatched: watchedEvent(createWatchedUsers(defaultConfig(), 0, () => undefined)),
    recorder: o.recorder ?? { record: (a) => (recorded.push(a), order.push(`record ${a.rule}`)), note: (t) => order.push(`note ${t}`) },
    ...(o.mitigator ? { mitigator: o.mitigator } : {}),
    ...(o.matcher ? { matcher: o.matcher } : {}),
    aggregator: new Aggregator({ windowMs: 30_000, channels: [{ name: "hook", minSeverity: "warning", ratePerMinute: 5 }] }),
    sinks: o.sinks ?? [{ name: "spy", accept: (x) => (notices.push(x), order.push(`sink ${x.alert.rule}`)) }],
    sensorAlerts: sensorAlerts("n", () => "t"),
    stageFailed: (stage, error) => sensorEvent(`f${(n++).toString(16).padStart(15, "0")}`, "n", `stage_failed:${stage}`, error),
  });
  return { p, recorded, notices, order };
}

/** A mitigator that records when it acts, so the test can see the alert was in the chain first. */
function spyMitigator(order: string[], fail?: "assess" | "act"): Mitigator {
  return {
    name: "spy",
    assess: (a) => {
      if (fail === "assess") throw new Error("assess broke");
      return { ...a, severity: "critical" };
    },
    act: (a): Mitigation => {
      order.push(`act ${a.rule}`);
      if (fail === "act") throw new Error("freezer gone");
      return { alert: { ...a, mitigation: { action: "kill", ok: true, latency_ms: 1 } }, raised: [] };
    },
  };
}

describe("Pipeline", () => {
  it("two sensors' copies of one call: a rule is raised once; the fuller copy adds only the rules the first could not meet", () => {
    // argv is known to both copies; the executable only to the later one (the process had exited).
    const byArgv: Engine = {
      name: "argv",
      evaluate: (e) => [
        ...(e.process?.argv[0] === "curl" ? [{ ...alertFor(e), rule: "curl-argv" }] : []),
        ...(e.process?.exe === "/usr/bin/curl" ? [{ ...alertFor(e), rule: "curl-exe" }] : []),
      ],
    };
    const { p, recorded } = build({ engines: [byArgv], matcher: new CrossSourceMatcher() });
    const first: Event = { ...ev(20, 1000, "/usr/bin/curl"), source: "ebpf", process: { pid: 20, ppid: 1, uid: 1000, auid: null, argv: ["curl"] } };
    const later: Event = { ...ev(20, 1000, "/usr/bin/curl"), id: "later", process: { ...ev(20, 1000, "/usr/bin/curl").process!, argv: ["curl"], cwd: "/" } };
    expect(p.handle(first).map((a) => a.rule)).toEqual(["curl-argv"]);
    expect(p.handle(later).map((a) => a.rule)).toEqual(["curl-exe"]);
    expect(recorded.map((a) => a.rule)).toEqual(["curl-argv", "curl-exe"]);
    // A third copy of a complete call is not judged at all.
    const again: Event = { ...later, id: "again", source: "ebpf" };
    const fourth: Event = { ...later, id: "fourth", source: "auditd" };
    expect(p.handle(again).map((a) => a.rule)).toEqual(["curl-argv", "curl-exe"]);
    expect(p.handle(fourth)).toEqual([]);
    expect(p.stats.cross_source_repeats).toBe(1);
  });

  it("records an alert before any mitigation acts, then notes the outcome, then tells the sinks", () => {
    const order: string[] = [];
    const { p } = build({ recorder: { record: (a) => order.push(`record ${a.rule} ${a.severity}`), note: (t) => order.push(`note ${t}`) }, sinks: [{ name: "s", accept: (x) => order.push(`sink ${x.alert.rule} ${x.alert.mitigation?.ok}`) }], mitigator: spyMitigator(order) });
    p.handle(ev(10, 1000, "/usr/bin/curl"));
    expect(order).toEqual(["record curl critical", "act curl", "note mitigation", "sink curl true"]);
  });

  it("does not judge processes of unwatched users", () => {
    const { p, recorded } = build();
    expect(p.handle(ev(10, 0, "/usr/bin/curl"))).toEqual([]);
    expect(recorded).toEqual([]);
    expect(p.stats.ignored_unwatched).toBe(1);
  });

  it("a throwing engine, sink, recorder or mitigator: the event goes on, a sensor alert names the stage", () => {
    const broken: Engine = { name: "broken", evaluate: () => { throw new Error("boom"); } };
    const { p, notices } = build({ engines: [broken, curlEngine] });
    p.handle(ev(10, 1000, "/usr/bin/curl"));
    expect(notices.map((x) => x.alert.rule).sort()).toEqual(["curl", "pipeline-stage-failed"]);
    expect(notices.find((x) => x.alert.rule === "pipeline-stage-failed")!.alert.summary).toMatch(/engine:broken failed: boom/);
    expect(p.stats.stage_errors).toEqual({ "engine:broken": 1 });

    const seen: string[] = [];
    const sinkless = build({ sinks: [{ name: "bad", accept: () => { throw new Error("socket closed"); } }, { name: "good", accept: (x) => seen.push(x.alert.rule) }] });
    sinkless.p.handle(ev(11, 1000, "/usr/bin/curl"));
    expect(seen.sort()).toEqual(["curl", "pipeline-stage-failed"]);
    expect(sinkless.recorded.map((a) => a.rule)).toEqual(["curl", "pipeline-stage-failed"]);
    expect(sinkless.p.stats.stage_errors["sink:bad"]).toBe(2);

    const order: string[] = [];
    const unmitigated = build({ mitigator: spyMitigator(order, "act") });
    unmitigated.p.handle(ev(12, 1000, "/usr/bin/curl"));
    expect(unmitigated.recorded.map((a) => a.rule)).toEqual(["curl", "pipeline-stage-failed"]);
    expect(unmitigated.notices.map((x) => x.alert.rule)).toEqual(["pipeline-stage-failed", "curl"]);
    // The stage-failed alert goes through the same broken mitigator: counted, not raised again.
    expect(unmitigated.p.stats.stage_errors).toEqual({ "mitigate:spy": 2 });
  });

  it("a chain writer that throws: the alert still reaches the sinks, the failure is raised and counted, judging goes on", () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-pipe-"));
    const chain = AuditChain.open({ path: join(dir, "chain"), keyFile: join(dir, "key"), checkpointFile: join(dir, "cp"), fsync: "never", fsyncIntervalMs: 200, checkpointEvery: 100 });
    const recorder: Recorder = { record: (a) => chain.append({ ts: a.ts, type: "alert", event_id: a.event_id, alert: a }), note: (type, data) => chain.append({ ts: 0, type, data }) };
    const { p, notices } = build({ recorder });
    p.handle(ev(10, 1000, "/usr/bin/curl"));
    chain.close();
    p.handle(ev(11, 1000, "/usr/bin/curl"));
    p.handle(ev(12, 1000, "/usr/bin/curl"));
    expect(notices.filter((x) => x.alert.rule === "curl").map((x) => x.alert.event_id)).toEqual(["000000000000000a", "000000000000000b", "000000000000000c"]);
    expect(notices.some((x) => x.alert.rule === "pipeline-stage-failed" && /record failed: audit chain is closed/.test(x.alert.summary))).toBe(true);
    expect(p.stats.stage_errors.record).toBeGreaterThanOrEqual(2);
    expect(readFileSync(join(dir, "chain"), "utf8").trim().split("\n")).toHaveLength(1);
  });

  it("work that finishes later (a freeze) is recorded and delivered when it ends", async () => {
    const later: Mitigator = { name: "slow", assess: (a) => a, act: (a) => ({ alert: a, raised: [], later: new Promise<Alert[]>((r) => setTimeout(() => r([{ ...a, rule: "agent-quarantined" }]), 20)) }) };
    const { p, recorded, notices } = build({ mitigator: later });
    p.handle(ev(10, 1000, "/usr/bin/curl"));
    expect(recorded.map((a) => a.rule)).toEqual(["curl"]);
    await new Promise((r) => setTimeout(r, 60));
    expect(recorded.map((a) => a.rule)).toEqual(["curl", "agent-quarantined"]);
    expect(notices.map((x) => x.alert.rule)).toEqual(["curl", "agent-quarantined"]);
  });

  it("enriches lineage before the engines see the event", () => {
    let seen: Event | undefined;
    const spy: Engine = { name: "spy", evaluate: (e) => ((seen = e), []) };
    const { p } = build({ engines: [spy] });
    p.handle(ev(10, 1000, "/usr/bin/node"));
    p.handle({ ...ev(11, 1000, "/bin/sh"), process: { ...ev(11, 1000, "/bin/sh").process!, ppid: 10 } });
    expect(seen!.process!.lineage![0]).toEqual({ pid: 10, exe: "/usr/bin/node" });
  });
});
