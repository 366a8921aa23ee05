// The fingerprint scan's runs of token characters: the window read from its end must find exactly
// the runs a plain left-to-right reading finds, whatever the text.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MIN_TOKEN, tokenRuns } from "../../src/proxy/index.js";

const TOKEN = /[A-Za-z0-9+/=_-]/;

function reference(s: string): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    if (i < s.length && TOKEN.test(s[i]!)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start >= MIN_TOKEN) out.push([start, i]);
    start = -1;
  }
  return out;
}

const runsOf = (s: string) => {
  const got: [number, number][] = [];
  tokenRuns(s, (a, b) => got.push([a, b]));
  return got;
};

describe("tokenRuns", () => {
  it("finds the runs of the exact length, longer ones, none shorter, at both ends of the text", () => {
    const t = (n: number, c = "a") => c.repeat(n);
    expect(runsOf(t(MIN_TOKEN))).toEqual([[0, MIN_TOKEN]]);
    expect(runsOf(t(MIN_TOKEN - 1))).toEqual([]);
    expect(runsOf(`x ${t(MIN_TOKEN - 1)} ${t(MIN_TOKEN + 5, "Z")}`)).toEqual([[MIN_TOKEN + 2, 2 * MIN_TOKEN + 7]]);
    expect(runsOf(`${t(30)}é${t(25, "9")}`)).toEqual([[0, 30], [31, 56]]);
  });

  it("agrees with a plain reading on any text (token-rich and prose alike)", () => {
    const ch = fc.constantFrom("a", "Z", "0", "+", "/", "=", "_", "-", " ", ".", "\n", "é", "😀", '"');
    const run = fc.integer({ min: 0, max: 45 }).chain((n) => fc.constantFrom("k", "Q7", "x-_").map((u) => u.repeat(n)));
    const text = fc.array(fc.oneof(ch, run), { maxLength: 60 }).map((xs) => xs.join(""));
    fc.assert(
      fc.property(text, (s) => {
        expect(runsOf(s)).toEqual(reference(s));
      }),
      { numRuns: 5000 },
    );
  });
});
