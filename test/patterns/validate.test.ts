import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { ibanValid, loadPatternDir, luhn, parsePatternDb, PATTERNS_DIR, PatternSet, ssnValid, type CompiledEntry } from "../../src/patterns/index.js";

const shipped = () => {
  const r = loadPatternDir();
  expect(r.errors).toEqual([]);
  return new PatternSet(r.dbs);
};
/** A commands database of these entries (severity warning), as a PatternSet. */
const setOf = (...entries: object[]) => new PatternSet([parsePatternDb(JSON.stringify({ name: "commands", version: "1.0.0", updated: "2026-12-06", entries: entries.map((e) => ({ description: "d", severity: "warning", ...e })) }), "/p/commands.json")]);
const at = (set: PatternSet, t: string, id?: string) => set.matchAll(t).filter((h) => id === undefined || h.id === id).map((h) => [h.id, h.index, h.length]);

describe("the validators", () => {
  it("luhn: good card numbers pass, with their spaces and dashes; one digit off fails", () => {
    for (const n of ["4111111111111111", "4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011000990139424", "79927398713"]) expect(luhn(n), n).toBe(true);
    for (const n of ["4111111111111112", "4111 1111 1111 1121", "378282246310006", "79927398710", "0", "", "4111x11111111111"]) expect(luhn(n), n).toBe(false);
  });
  it("ibanValid: mod 97 over the moved, lettered-as-numbers string; 15 to 34 characters", () => {
    for (const n of ["GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "gb82west12345698765432", "DE89370400440532013000", "NO9386011117947"]) expect(ibanValid(n), n).toBe(true);
    // One digit changed; the check digits changed; two letters swapped; too short; not letters first.
    for (const n of ["GB82WEST12345698765431", "GB83WEST12345698765432", "GB82EWST12345698765432", "NO938601111794", "8282WEST12345698765432", `GB82${"1".repeat(31)}`]) expect(ibanValid(n), n).toBe(false);
  });
  it("ssnValid: nine digits; area not 000, 666, 9xx; group not 00; serial not 0000", () => {
    for (const n of ["078-05-1120", "078 05 1120", "078051120", "899-99-9999", "665-01-0001"]) expect(ssnValid(n), n).toBe(true);
    for (const n of ["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "078-00-1120", "078-05-0000", "078-05-112", "078-05-11201", "07a-05-1120"]) expect(ssnValid(n), n).toBe(false);
  });
});

describe("an entry's validate", () => {
  it("goes only with a regex: the loader and the documented schema refuse it elsewhere", () => {
    const db = (e: object) => JSON.stringify({ name: "privacy", version: "1.0.0", updated: "2026-12-06", entries: [{ id: "x.one", description: "d", severity: "warning", ...e }] }, null, 2);
    expect(() => parsePatternDb(db({ phrases: ["card number"], validate: "luhn" }), "/p/privacy.json")).toThrow(/^\/p\/privacy\.json:\d+: entries\.0\.validate: validate goes with a regex/);
    expect(() => parsePatternDb(db({ regex: "[0-9]{16}", needles: ["\\d"], validate: "crc" }), "/p/privacy.json")).toThrow(/entries\.0\.validate/);
    expect(parsePatternDb(db({ regex: "[0-9]{16}", needles: ["\\d"], validate: "luhn" }), "/p/privacy.json").entries[0]).toMatchObject({ validate: "luhn", maxLen: 16 });
    type Validate = (d: unknown) => boolean;
    const Ajv2020 = (createRequire(import.meta.url)("ajv/dist/2020") as { default: new (o: object) => { compile(s: object): Validate } }).default;
    const validate = new Ajv2020({ allErrors: true }).compile(JSON.parse(readFileSync(join(PATTERNS_DIR, "..", "schemas", "patterns.schema.json"), "utf8")) as object);
    expect(validate(JSON.parse(db({ regex: "[0-9]{16}", needles: ["\\d"], validate: "luhn" })))).toBe(true);
    expect(validate(JSON.parse(db({ phrases: ["card number"], validate: "luhn" })))).toBe(false);
    expect(validate(JSON.parse(db({ regex: "[0-9]{16}", needles: ["\\d"], validate: "crc" })))).toBe(false);
  });
  // The same entry with a V8 twin, and without one (\x{2d} is RE2's): re2js matches then.
  for (const [engine, dash] of [["V8", "-"], ["re2js", "\\x{2d}"]] as const) {
    it(`a match that fails is no hit; the next one in the window is (${engine})`, () => {
      const set = setOf({ id: "t.ssn", regex: `\\b[0-9]{3}${dash}[0-9]{2}${dash}[0-9]{4}\\b`, needles: ["\\d"], validate: "ssn" });
      expect(set.entries[0]!.js === undefined).toBe(engine === "re2js");
      const t = "ids 000-12-3456 666-12-3456 078-05-1120 and 123-45-6789";
      expect(set.match(t).map((h) => [h.index, h.match, h.length])).toEqual([[28, "078-05-1120", 11]]);
      expect(at(set, t)).toEqual([["t.ssn", 28, 11], ["t.ssn", 44, 11]]);
      expect(set.match("000-12-3456 666-12-3456")).toEqual([]);
    });
  }
});

describe("matchAll", () => {
  const set = shipped();
  it("finds each of three card numbers, and not one that fails Luhn", () => {
    const t = "Visa 4111 1111 1111 1111, MC 5555-5555-5555-4444, Amex 378282246310005; not 4111111111111112.";
    expect(at(set, t, "priv.credit-card")).toEqual([
      ["priv.credit-card", 5, 19],
      ["priv.credit-card", 29, 19],
      ["priv.credit-card", 55, 15],
    ]);
    expect(set.matchAll(t).filter((h) => h.id === "priv.credit-card").map((h) => h.match)).toEqual(["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005"]);
    expect(at(set, "order 4111111111111112 shipped", "priv.credit-card")).toEqual([]);
    // match(): the first valid one, after one that fails in the same window.
    expect(set.match("4111111111111112 4111111111111111").map((h) => [h.id, h.index, h.length])).toEqual([["priv.credit-card", 17, 16]]);
  });
  it("the other new privacy entries, each with its place and length", () => {
    const npm = `npm_${"a1B2".repeat(9)}`;
    const gl = `glpat-${"x".repeat(200)}`;
    const t = `SSN 078-05-1120 (not 000-12-3456), IBAN GB82 WEST 1234 5698 7654 32 (not GB82WEST12345698765431), call +44 20 7946 0958 or (555) 123-4567, ${npm} ${gl}`;
    const hits = set.matchAll(t).filter((h) => h.db === "privacy");
    expect(hits.map((h) => [h.id, t.slice(h.index, h.index + h.length)])).toEqual([
      ["priv.ssn", "078-05-1120"],
      ["priv.iban", "GB82 WEST 1234 5698 7654 32"],
      ["priv.phone", "+44 20 7946 0958"],
      ["priv.phone", "(555) 123-4567"],
      ["priv.npm-token", npm],
      ["priv.gitlab-token", gl],
    ]);
    // `match` is cut at 120 characters; `length` is the whole match's.
    const g = hits.find((h) => h.id === "priv.gitlab-token")!;
    expect([g.match.length, g.length]).toEqual([121, 206]);
    expect(hits.find((h) => h.id === "priv.npm-token")).toMatchObject({ severity: "critical", action: "block", category: "DATA_EXFIL", mitre: ["T1552"] });
  });
  it("a match that takes the newline put after the text ends at the text's end", () => {
    // The password entry ends at a space or a delimiter; at the very end of the text, at the newline clawav adds.
    expect(at(set, "password=hunter22", "priv.password-assignment")).toEqual([["priv.password-assignment", 0, 17]]);
    expect(set.match("password=hunter22")[0]).toMatchObject({ match: "password=hunter22", length: 17 });
    expect(at(set, "password=hunter22 ", "priv.password-assignment")).toEqual([["priv.password-assignment", 0, 18]]);
  });
  it("an AWS key of the wrong length is none", () => {
    expect(at(set, "key AKIAABCDEFGHIJKLMNO end", "priv.aws-access-key")).toEqual([]);
    expect(at(set, "key AKIAABCDEFGHIJKLMNOPQ end", "priv.aws-access-key")).toEqual([]);
    expect(at(set, "key AKIAABCDEFGHIJKLMNOP end", "priv.aws-access-key")).toEqual([["priv.aws-access-key", 4, 20]]);
  });
  it("every occurrence of a phrase, once each; match() keeps the first", () => {
    const t = "You are now a cat. Later: you are now a dog; YOU ARE NOWHERE.";
    expect(at(set, t)).toEqual([["inj.role-hijack", 0, 11], ["inj.role-hijack", 26, 11]]);
    expect(set.match(t).map((h) => [h.id, h.index, h.length])).toEqual([["inj.role-hijack", 0, 11]]);
  });
  it("non-overlapping: the longest at a place, none inside it; sorted by place", () => {
    const s = setOf({ id: "t.ab", phrases: ["alpha beta", "alpha beta gamma", "beta gamma"] }, { id: "t.re", regex: "\\bx[0-9]{1,3}", needles: ["x"] });
    const t = "alpha beta gamma x1 x22 alpha beta x333";
    expect(at(s, t)).toEqual([["t.ab", 0, 16], ["t.re", 17, 2], ["t.re", 20, 3], ["t.ab", 24, 10], ["t.re", 35, 4]]);
  });
  it("a regex run over the whole text (no needles, as SecureClaw's): every match", () => {
    const e: CompiledEntry = { id: "t.tok", db: "vendor", description: "d", severity: "critical", action: "block", regex: "tok_[a-z]{4}", re: RE2JS.compile("tok_[a-z]{4}") };
    const s = new PatternSet([{ name: "vendor", version: "1", updated: "?", file: "/v", entries: [e] }]);
    expect(at(s, "tok_abcd, tok_efgh and tok_ij")).toEqual([["t.tok", 0, 8], ["t.tok", 10, 8]]);
  });
});

describe('the "\\d" needle', () => {
  it("runs the regex around each run of digits, however far into the text", () => {
    const s = setOf({ id: "t.ref", regex: "\\bref-[0-9]{4,6}\\b", needles: ["\\d"] });
    const filler = "no numbers in here at all. ".repeat(2000);
    const t = `${filler}ref-12345 ${filler}ref-999999 and ref-12 and ref-1234567 and ref-12345x`;
    const a = filler.length;
    const b = 2 * filler.length + 10;
    expect(at(s, t)).toEqual([["t.ref", a, 9], ["t.ref", b, 10]]);
    expect(s.match(t).map((h) => h.index)).toEqual([a]);
    // In text that is not ASCII, too.
    expect(at(s, "Ünïcödé: ref-4321 ✓")).toEqual([["t.ref", 9, 8]]);
  });
  it("a window reaches maxLen (and one character) either side of the digits", () => {
    const before = setOf({ id: "t.before", regex: "\\b[a-z]{1,10}[0-9]\\b", needles: ["\\d"] });
    expect(at(before, "say abcdefghij7 now")).toEqual([["t.before", 4, 11]]);
    const after = setOf({ id: "t.after", regex: "\\b[0-9][a-z]{1,10}\\b", needles: ["\\d"] });
    expect(at(after, "say 7abcdefghij now")).toEqual([["t.after", 4, 11]]);
    // The character past the longest match is in the window: glued to a letter, no \b, no match.
    expect(at(after, "say 7abcdefghijq now")).toEqual([]);
    expect(at(after, "7abcdefghijq")).toEqual([]);
  });
  it("with literal needles too: both kinds of window, merged in order", () => {
    const s = setOf({ id: "t.mix", regex: "key=[a-z]{3}|\\b[0-9]{3}\\b", needles: ["key=", "\\d"] });
    const t = "123 then key=abc then 456, key=def 789";
    expect(at(s, t)).toEqual([["t.mix", 0, 3], ["t.mix", 9, 7], ["t.mix", 22, 3], ["t.mix", 27, 7], ["t.mix", 35, 3]]);
    // match(): the first place, though its window (a run of digits) was found after the needle's.
    expect(s.match(t).map((h) => [h.index, h.match])).toEqual([[0, "123"]]);
  });
});
