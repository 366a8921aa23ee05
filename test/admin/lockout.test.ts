import { describe, expect, it } from "vitest";
import { Lockout } from "../../src/admin/index.js";

describe("the lockout after wrong keys", () => {
  it("locks a client at its third wrong key for the hour, others not; a right key clears the count; an expired lockout starts afresh", () => {
    const l = new Lockout(3, 3_600_000);
    expect(l.fail("uid:1001", 0)).toEqual({ count: 1 });
    expect(l.fail("uid:1001", 10)).toEqual({ count: 2 });
    expect(l.fail("uid:0", 20)).toEqual({ count: 1 });
    expect(l.fail("uid:1001", 30)).toEqual({ count: 3, lockedUntil: 3_600_030 });
    expect(l.lockedUntil("uid:1001", 3_600_029)).toBe(3_600_030);
    expect(l.lockedUntil("uid:0", 100)).toBeUndefined();
    expect(l.lockedUntil("uid:1001", 3_600_030)).toBeUndefined();
    expect(l.fail("uid:1001", 3_600_031)).toEqual({ count: 1 });
    l.succeed("uid:0");
    expect(l.fail("uid:0", 200)).toEqual({ count: 1 });
  });

  it("forgets the oldest clients past its bound", () => {
    const l = new Lockout(2, 1000, 2);
    l.fail("a", 0);
    l.fail("b", 0);
    l.fail("c", 0);
    // "a" was forgotten: its next wrong key is its first again.
    expect(l.fail("a", 1)).toEqual({ count: 1 });
    expect(l.fail("c", 1)).toEqual({ count: 2, lockedUntil: 1001 });
  });
});
