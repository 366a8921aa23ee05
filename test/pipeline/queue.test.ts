import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BoundedQueue } from "../../src/pipeline/queue.js";

describe("BoundedQueue", () => {
  it("drops the oldest when full and counts it", () => {
    const q = new BoundedQueue<number>(3);
    for (let i = 1; i <= 5; i++) q.push(i);
    expect(q.dropped).toBe(2);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([3, 4, 5, undefined]);
  });
  it("accounts for every item: delivered + dropped = pushed, order kept", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.boolean(), { maxLength: 200 }), (cap, ops) => {
        const q = new BoundedQueue<number>(cap);
        const out: number[] = [];
        let n = 0;
        for (const push of ops) {
          if (push) q.push(n++);
          else {
            const v = q.shift();
            if (v !== undefined) out.push(v);
          }
        }
        for (let v = q.shift(); v !== undefined; v = q.shift()) out.push(v);
        expect(out.length + q.dropped).toBe(n);
        expect([...out].sort((a, b) => a - b)).toEqual(out);
      }),
    );
  });
  it("rejects a capacity that is not a positive integer", () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
