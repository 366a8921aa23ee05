import { describe, expect, it } from "vitest";
import { parsePreloadLine } from "../../../src/sources/preload/index.js";

const ctx = { id: "0000000000000001", now: 1_700_000_000_000, nodeId: "n1" };

describe("preload log lines", () => {
  it("turns a denied open into a gate event with the resolved path and the name used", () => {
    const line = `{"v":1,"ts":1,"event":"deny","pid":10,"ppid":9,"uid":1001,"euid":1001,"exe":"/usr/bin/cat","call":"open","op":"read","rule":"deny_paths_read","index":2,"policy":"/etc/clawav/preload-policy.json","path":"../etc/shadow","resolved":"/etc/shadow"}`;
    const r = parsePreloadLine(line, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toMatchObject({ source: "preload", kind: "gate", fidelity: "userspace", ts: ctx.now, process: { pid: 10, uid: 1001, exe: "/usr/bin/cat" }, file: { path: "/etc/shadow", items: [{ name: "/etc/shadow", named: "../etc/shadow" }] }, gate: { gate: "preload", decision: "deny", op: "read", rule: "deny_paths_read[2]" } });
  });

  it("turns a denied connect into a net event and a notice into a notice", () => {
    const c = parsePreloadLine(`{"v":1,"ts":1,"event":"deny","pid":1,"ppid":0,"uid":0,"euid":0,"exe":"/x","call":"connect","op":"connect","rule":"deny_connect","index":0,"addr":"::1","port":9}`, ctx);
    expect(c.ok && c.event.net).toEqual({ family: "inet6", address: "::1", port: 9 });
    const n = parsePreloadLine(`{"v":1,"ts":1,"event":"policy_rejected","pid":1,"ppid":0,"uid":0,"euid":0,"exe":"/x","detail":"not root's"}`, ctx);
    expect(n.ok && n.event.gate).toMatchObject({ decision: "notice", op: "policy_rejected", reason: "not root's" });
  });

  it("names what is wrong with a bad line", () => {
    expect(parsePreloadLine("not json", ctx)).toMatchObject({ ok: false, error: expect.stringContaining("not JSON") });
    expect(parsePreloadLine(`{"v":2}`, ctx)).toMatchObject({ ok: false, error: expect.stringContaining("v") });
    expect(parsePreloadLine(`{"v":1,"ts":1,"event":"deny","pid":1,"ppid":0,"uid":0,"euid":0,"exe":"/x"}`, ctx)).toMatchObject({ ok: false, error: "a deny line needs op and rule" });
  });
});
