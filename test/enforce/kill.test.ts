import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { descendants, killProcess, selfAndAncestors, type KillGuard } from "../../src/enforce/index.js";
import { Enforcer } from "../../src/enforce/index.js";
import { IS_ROOT, TEST_USER, userIds, waitFor } from "../helpers/system.js";
import type { Alert } from "../../src/events/index.js";

const watchedAll: KillGuard = { protectedPids: selfAndAncestors(), watched: () => true };

function exited(child: ReturnType<typeof spawn>): Promise<NodeJS.Signals | null> {
  return new Promise((r) => child.on("exit", (_c, sig) => r(sig)));
}

describe("killProcess", () => {
  it("kills a running process with SIGKILL", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    const gone = exited(child);
    await waitFor("sleep to exec", () => (child.pid ? true : undefined));
    await new Promise((r) => setTimeout(r, 50));
    const r = killProcess({ pid: child.pid!, exe: "/usr/bin/sleep", tree: false }, watchedAll);
    expect(r).toEqual({ ok: true, killed: [child.pid] });
    expect(await gone).toBe("SIGKILL");
  });

  it("kills a whole tree for kill_tree", async () => {
    const child = spawn("sh", ["-c", "sleep 30 & sleep 30 & wait"], { stdio: "ignore" });
    const gone = exited(child);
    const kids = await waitFor("two children", () => (descendants(child.pid!).length >= 2 ? descendants(child.pid!) : undefined));
    const r = killProcess({ pid: child.pid!, exe: "/usr/bin/dash", tree: true }, watchedAll);
    expect(r.ok).toBe(true);
    expect(await gone).toBe("SIGKILL");
    for (const k of kids) await waitFor(`child ${k} gone`, () => (descendants(child.pid!).includes(k) ? undefined : true));
    expect(r.killed.sort()).toEqual([child.pid!, ...kids].sort());
  });

  it("refuses pid 1, clawav itself, unwatched users, and a reused pid", async () => {
    expect(killProcess({ pid: 1, exe: "", tree: false }, watchedAll)).toMatchObject({ ok: false, reason: "refusing to kill pid 1" });
    expect(killProcess({ pid: process.pid, exe: process.execPath, tree: false }, watchedAll)).toMatchObject({ ok: false, reason: expect.stringMatching(/clawav itself/) as unknown });
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    await waitFor("spawn", () => child.pid);
    await new Promise((r) => setTimeout(r, 50));
    expect(killProcess({ pid: child.pid!, exe: "/usr/bin/sleep", tree: false }, { protectedPids: new Set(), watched: (u) => u === 12345 })).toMatchObject({ ok: false, reason: expect.stringMatching(/uid 0 is not watched/) as unknown });
    expect(killProcess({ pid: child.pid!, exe: "/usr/bin/curl", tree: false }, watchedAll)).toMatchObject({ ok: false, reason: expect.stringMatching(/now runs \/usr\/bin\/sleep/) as unknown });
    child.kill();
  });

  it.skipIf(!IS_ROOT)("a kill the kernel refuses becomes a critical mitigation-failed alert", () => {
    const e = new Enforcer("enforce", watchedAll, () => ({ ok: false, reason: "kill refused (EPERM)", killed: [] }));
    const a: Alert = { event_id: "1", ts: 1000, severity: "warning", category: "EXECUTION", rule: "r", engine: "policy", summary: "s", action: "kill", node_id: "n", policy_version: "v", event: { id: "1", ts: 1000, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel", process: { pid: 5, ppid: 1, uid: userIds(TEST_USER).uid, auid: null, euid: 0, exe: "/x", comm: "x", argv: [] } } };
    const assessed = e.assess(a);
    expect(assessed.severity).toBe("critical");
    const done = e.act(assessed);
    const out = [done.alert, ...done.raised];
    expect(out.map((x) => [x.rule, x.severity, x.mitigation?.ok])).toEqual([["r", "critical", false], ["mitigation-failed", "critical", false]]);
    expect(out[1]!.mitigation!.latency_ms).toBeGreaterThan(0);
    expect(e.stats.kills_failed).toBe(1);
    const m = new Enforcer("monitor", watchedAll);
    const judged = m.assess({ ...a, severity: "info" });
    const acted = m.act(judged);
    expect([judged.severity, acted.alert.mitigation, acted.raised]).toEqual(["warning", undefined, []]);
  });
});
