import { describe, expect, it } from "vitest";
import { Enforcer, TrustScores } from "../../src/enforce/index.js";
import type { Alert, Severity } from "../../src/events/index.js";

const trust = () => new TrustScores({ initial: 100, threshold: 40, recoveryPerHour: 10, penalty: { info: 0, warning: 5, critical: 25 } });

function alert(ts: number, severity: Severity = "warning"): Alert {
  return {
    event_id: ts.toString(16).padStart(16, "0"), ts, severity, category: "RECON", rule: "r", engine: "behavior", summary: "s", action: "alert", node_id: "n", policy_version: "v",
    event: { id: "0", ts, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel", process: { pid: 5, ppid: 1, uid: 1001, auid: null, euid: 1001, exe: "/usr/bin/id", comm: "id", argv: ["id"], agent: "agent" } },
  };
}

describe("trust is a state", () => {
  it("crossing the threshold is reported once; again only after recovering above it and crossing again", () => {
    const t = trust();
    const crossings: number[] = [];
    for (let i = 0; i < 40; i++) if (t.penalise("a", "warning", i * 1000)) crossings.push(i);
    expect(crossings).toEqual([12]);
    expect(t.score("a", 39_000)).toBe(0);
    // Ten hours later trust is back to 100; falling again is a new crossing.
    const later = 40_000 + 10 * 3_600_000;
    expect(t.score("a", later)).toBe(100);
    const again: number[] = [];
    for (let i = 0; i < 20; i++) if (t.penalise("a", "warning", later + i)) again.push(i);
    expect(again).toEqual([12]);
  });

  it("info alerts cost nothing and never cross", () => {
    const t = trust();
    for (let i = 0; i < 1000; i++) expect(t.penalise("a", "info", i)).toBe(false);
    expect(t.score("a", 1000)).toBe(100);
  });

  it("monitor mode: one agent-would-be-quarantined when trust crosses, not one per later event", () => {
    const e = new Enforcer("monitor", { protectedPids: new Set(), watched: () => true }, undefined, { trust: trust(), auto: true, record: () => {} });
    const raised: string[] = [];
    for (let i = 0; i < 100; i++) raised.push(...e.act(e.assess(alert(1000 + i))).raised.map((x) => `${x.rule}@${i}`));
    expect(raised).toEqual(["agent-would-be-quarantined@12"]);
    expect(e.stats.would_quarantine).toBe(1);
  });
});
