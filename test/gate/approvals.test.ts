import { describe, expect, it } from "vitest";
import { ApprovalRegistry, type SudoRequest } from "../../src/gate/index.js";

const input = (hash = "a".repeat(64)) => ({ user: "agent", uid: 1001, pid: 42, cwd: "/home/agent", exe: "/usr/bin/touch", argv: ["/usr/bin/touch", "x"], hash, reason: "no rule" });

describe("ApprovalRegistry", () => {
  it("an approval is used once, and only for the command it was given for", () => {
    const reg = new ApprovalRegistry(() => 1000);
    const r = reg.open(input(), 60_000) as SudoRequest;
    expect(r.state).toBe("pending");
    expect(reg.consume(r.id, "a".repeat(64))).toMatchObject({ ok: false, status: 409 });
    expect(reg.approve(r.id, "root").ok).toBe(true);
    expect(reg.consume(r.id, "b".repeat(64))).toMatchObject({ ok: false, status: 409, error: expect.stringContaining("another command") });
    expect(reg.consume(r.id, "a".repeat(64)).ok).toBe(true);
    expect(reg.consume(r.id, "a".repeat(64))).toMatchObject({ ok: false, error: expect.stringContaining("used") });
  });

  it("answers only pending requests, and times them out", () => {
    let now = 0;
    const reg = new ApprovalRegistry(() => now);
    const a = reg.open(input(), 5000) as SudoRequest;
    const b = reg.open(input(), 5000) as SudoRequest;
    expect(a.id).not.toBe(b.id);
    expect(reg.reject(a.id, "root").ok).toBe(true);
    expect(reg.approve(a.id, "root")).toMatchObject({ ok: false, error: expect.stringContaining("rejected") });
    now = 5000;
    // Noticed by a read first, still reported once to whoever takes the expired ones.
    expect(reg.get(b.id)?.state).toBe("expired");
    expect(reg.takeExpired().map((r) => r.id)).toEqual([b.id]);
    expect(reg.takeExpired()).toEqual([]);
    expect(reg.approve(b.id, "root")).toMatchObject({ ok: false, error: expect.stringContaining("expired") });
    expect(reg.approve("00000000", "root")).toMatchObject({ ok: false, status: 404 });
  });

  it("refuses new requests when full and counts them, keeping the old ones", () => {
    const reg = new ApprovalRegistry(() => 0, 2);
    const a = reg.open(input(), 1000) as SudoRequest;
    reg.open(input(), 1000);
    expect(reg.open(input(), 1000)).toEqual({ refused: "too many pending clawsudo requests (2)" });
    expect(reg.refused_full).toBe(1);
    expect(reg.get(a.id)?.state).toBe("pending");
    expect(reg.list()).toHaveLength(2);
  });

  it("holds at most a few requests per caller, so an agent cannot flood people with asks", () => {
    const reg = new ApprovalRegistry(() => 0, 1000, 2);
    reg.open(input(), 1000);
    reg.open(input(), 1000);
    expect(reg.open(input(), 1000)).toEqual({ refused: "agent already has 2 requests waiting for a human" });
    expect("id" in reg.open({ ...input(), uid: 1002, user: "other" }, 1000)).toBe(true);
  });
});
