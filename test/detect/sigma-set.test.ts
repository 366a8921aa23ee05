// The index the daemon judges Sigma rules through must say exactly what the rules say one by one.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/events/index.js";
import { compileSigmaText, NeedleSet, SigmaInput, SigmaSet, LOG_SOURCES, type SigmaRule } from "../../src/detect/sigma/index.js";
import { rng } from "../helpers/preload-gen.js";

const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

describe("NeedleSet", () => {
  it("finds every needle a naive search finds, overlapping and nested ones included", () => {
    const r = rng(7);
    const alphabet = "ab/-c";
    const word = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)]).join("");
    for (let round = 0; round < 200; round++) {
      const needles = [...new Set(Array.from({ length: 1 + Math.floor(r() * 12) }, () => word(1 + Math.floor(r() * 4))))];
      const set = new NeedleSet(needles);
      const hay = word(Math.floor(r() * 40));
      const found = new Set<number>();
      set.scan(hay, (id) => found.add(id));
      const want = new Set(needles.flatMap((n, i) => (hay.includes(n) ? [i] : [])));
      expect([...found].sort(), `${JSON.stringify(needles)} in ${JSON.stringify(hay)}`).toEqual([...want].sort());
      // The folding scan finds the same in the upper-cased string, and refuses a non-ASCII one.
      const folded = new Set<number>();
      expect(set.scanAsciiFolded(hay.toUpperCase(), (id) => folded.add(id))).toBe(true);
      expect([...folded].sort()).toEqual([...want].sort());
    }
  });
});

describe("SigmaSet", () => {
  const rules: SigmaRule[] = readdirSync(join(FIXTURES, "sigma"))
    .filter((f) => f.endsWith(".yml"))
    .flatMap((f) => {
      const r = compileSigmaText(readFileSync(join(FIXTURES, "sigma", f), "utf8").replaceAll("{{PORT}}", "4444"), f);
      return "rule" in r ? [r.rule] : [];
    });
  const events: Event[] = readdirSync(join(FIXTURES, "golden"))
    .filter((f) => f.endsWith(".events.ndjson"))
    .flatMap((f) => readFileSync(join(FIXTURES, "golden", f), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Event));

  it("agrees with each rule's own test on every recorded event, for each log source", () => {
    expect(rules).toHaveLength(10);
    expect(events.length).toBeGreaterThan(100);
    let matched = 0;
    for (const ls of LOG_SOURCES) {
      const set = new SigmaSet(ls, rules);
      for (const e of events) {
        const want = set.rules.filter((r) => r.matches(new SigmaInput(e)));
        expect(set.match(new SigmaInput(e)).map((r) => r.name), `${e.id} ${JSON.stringify(e.process?.argv)}`).toEqual(want.map((r) => r.name));
        matched += want.length;
      }
    }
    // The recorded sessions read /etc/shadow and write ~/.bashrc: the comparison covers real hits.
    expect(matched).toBeGreaterThan(0);
  });

  it("judges a rule with no needle on every event, and one with needles only when a needle occurs", () => {
    const text = (sel: string) => `title: t\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n${sel}\n  condition: sel\n`;
    const needled = compileSigmaText(text("  sel:\n    CommandLine|contains: 'secret-x'"), "needled.yml");
    const free = compileSigmaText(text("  sel:\n    CommandLine|re: 'x{3}'"), "free.yml");
    if (!("rule" in needled) || !("rule" in free)) throw new Error("fixture rules did not compile");
    expect(needled.rule.needles).toEqual(new Map([["CommandLine", ["secret-x"]]]));
    expect(free.rule.needles).toBeUndefined();
    const set = new SigmaSet("process_creation", [needled.rule, free.rule]);
    const ev = (argv: string[]): SigmaInput => new SigmaInput({ id: "1", ts: 0, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel", process: { auid: null, argv, exe: "/usr/bin/x" } });
    expect(set.match(ev(["echo", "SECRET-X"])).map((r) => r.name)).toEqual(["sigma/needled"]);
    expect(set.match(ev(["echo", "xxx", "secret-x"])).map((r) => r.name)).toEqual(["sigma/needled", "sigma/free"]);
    expect(set.match(ev(["echo", "xx"]))).toEqual([]);
    // toLowerCase maps the Kelvin sign onto k: the index must not miss what the rule would match.
    const kelvin = compileSigmaText(text("  sel:\n    CommandLine|contains: 'kurl'"), "kelvin.yml");
    if (!("rule" in kelvin)) throw new Error("fixture rule did not compile");
    expect(new SigmaSet("process_creation", [kelvin.rule]).match(ev(["\u212Aurl"])).map((r) => r.name)).toEqual(["sigma/kelvin"]);
    expect(new NeedleSet(["k"]).scanAsciiFolded("\u212A", () => undefined)).toBe(false);
  });
});
