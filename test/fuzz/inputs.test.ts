// Fuzzing every reader of outside input: each case must end (no hang: vitest's timeout) in a typed
// value or a typed user error, never another exception; and what is accepted must be sound.
// 10,000 cases per reader in `npm test`; `npm run fuzz` runs 1,000,000 (FUZZ_RUNS).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { stringify as toToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { defaultConfig, parseConfig } from "../../src/config/index.js";
import { parsePolicyText } from "../../src/detect/policy/load.js";
import { compileSigmaText, SigmaInput } from "../../src/detect/sigma/index.js";
import { UserError } from "../../src/errors/index.js";
import { EventIdGenerator } from "../../src/events/index.js";
import { parsePreloadPolicy } from "../../src/gate/preload-parse.js";
import { compile } from "../../src/seccomp/compile.js";
import { parseWhitelist } from "../../src/seccomp/whitelist.js";
import { createAuditAssembler } from "../../src/sources/auditd/index.js";
import { PACKAGE_ROOT } from "../../src/version.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const opts = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };
// A million cases take minutes per reader; a hang is a case that never ends, not a slow run.
const TIMEOUT = Math.max(120_000, RUNS * 2);
const read = (...p: string[]) => readFileSync(join(PACKAGE_ROOT, ...p), "utf8");

/** Edits of a seed text: each replaces, inserts or deletes at a position with a token of the format. */
function mutated(seed: string, tokens: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.record({ at: fc.nat(), op: fc.integer({ min: 0, max: 3 }), token: fc.constantFrom(...tokens), len: fc.integer({ min: 1, max: 40 }) });
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let s = seed;
    for (const e of edits) {
      const at = e.at % (s.length + 1);
      if (e.op === 0) s = s.slice(0, at) + e.token + s.slice(at);
      else if (e.op === 1) s = s.slice(0, at) + s.slice(at + e.len);
      else if (e.op === 2) s = s.slice(0, at) + e.token + s.slice(at + e.len);
      else s = s.slice(0, at) + s.slice(at, at + e.len).repeat(3) + s.slice(at + e.len);
    }
    return s;
  });
}

const COMMON = ["\n", " ", "\t", "\u0000", "\ufffd", "\u{1F600}", "\\", '"', "'", "-1", "0", "1e309", "9999999999999999999", "NaN", "null", "true", "", "~", "/", "*", "[", "]", "{", "}", ",", ":", "="];

/** Throws what is not a user error; returns whether the input was accepted. */
function userErrorOr<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof UserError) return undefined;
    throw e;
  }
}

describe(`fuzz: ${RUNS} cases per reader`, () => {
  it("config.toml: a Config or a ConfigError naming the file; every accepted timer fits Node's", () => {
    const seed = toToml(defaultConfig());
    const tokens = [...COMMON, "[api]", "[alerts]", "[general]", "port = ", "bind = ", '"999.1.1.1"', '"10.0.0.0/33"', "heartbeat_interval = ", "2592000", "2147484", "1.5", '"file:///etc/passwd"', "[[x]]", '"""', "'''", "inf", "-inf", "0x10", "1979-05-27T07:32:00Z"];
    fc.assert(
      fc.property(fc.oneof(mutated(seed, tokens), fc.string({ maxLength: 200 })), (text) => {
        let cfg;
        try {
          cfg = parseConfig(text, "fuzz.toml");
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          expect(e.message).toContain("fuzz.toml");
          return;
        }
        // Node clamps a timer over 2^31-1 ms to 1 ms: no accepted duration may reach that (issue 12).
        const walk = (v: unknown, path: string): void => {
          // A key ending in _ms holds milliseconds already; the others, seconds.
          if (typeof v === "number" && /interval|timeout|window|ttl|period/.test(path)) expect(path.endsWith("_ms") ? v : v * 1000, path).toBeLessThan(2 ** 31);
          else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
        };
        walk(cfg, "");
      }),
      opts,
    );
  }, TIMEOUT);

  it("YAML policies: rules and errors with a line, never an exception", () => {
    // One rule a seed: a whole shipped file takes milliseconds to parse, and a million of them hours.
    const seeds = [read("policies", "default.yaml"), read("policies", "clawsudo.yaml")].flatMap((t) => t.slice(t.indexOf("rules:")).split(/\n(?= {2}- name:)/).slice(1).map((r) => `rules:\n${r}\n`));
    const tokens = [...COMMON, "rules:", "- name: x", "  match:", "    command: [", "command_contains:", "file_access:", "regex:", '"(a+)+$"', '"(?=x)"', "action: kill", "enforcement: kill", "severity: critical", "&a", "*a", "<<: *a", "!!binary", "? ", "---", "...", "%YAML 1.2"];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...seeds).chain((s) => mutated(s, tokens)), fc.string({ maxLength: 200 })), (text) => {
        const r = parsePolicyText(text, "fuzz.yaml");
        for (const e of r.errors) expect(e.file).toBe("fuzz.yaml");
        expect(r.rules.length + r.errors.length).toBeGreaterThanOrEqual(0);
      }),
      opts,
    );
  }, TIMEOUT);

  it("Sigma rules: a compiled rule that judges any event, a refusal naming a feature, or an error; never an exception", () => {
    const dir = join(PACKAGE_ROOT, "test", "fixtures", "sigma");
    const seeds = readdirSync(dir).filter((f) => f.endsWith(".yml")).map((f) => readFileSync(join(dir, f), "utf8").replaceAll("{{PORT}}", "4444"));
    const tokens = [...COMMON, "|contains", "|all", "|re", "|base64offset", "|windash", "|cidr", "|exists", "|gt", "|cased", "|utf16le", "'|all':", "1 of ", "all of them", " and not ", "(", ")", "| count() > 3", "selection*", "?", "\\*", "'(a)\\1'", "'[z-a]'", "type: EXECVE", "a0:", "TargetFilename:", "service: auditd", "category: file_event", "product: windows", "level: high", "timeframe: 5m", "&a", "*a", "---"];
    const events = [
      { id: "0000000000000001", ts: 1, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel", record_types: ["SYSCALL", "EXECVE", "CWD", "PATH", "PROCTITLE"], syscall: { name: "execve", nr: 59, arch: "x86_64", success: true, exit: 0, args: ["1", "2", "3", "4"] }, process: { pid: 2, ppid: 1, uid: 1000, auid: null, exe: "/usr/bin/shred", comm: "shred", argv: ["shred", "-u", "/home/a/.bash_history"], cwd: "/home/a", parent_argv: ["bash"] }, file: { path: "/usr/bin/shred", items: [{ name: "/usr/bin/shred", nametype: "NORMAL" }] } },
      { id: "0000000000000002", ts: 1, source: "auditd", kind: "net", node_id: "n", fidelity: "kernel", syscall: { name: "connect", nr: 42, arch: "x86_64", success: true, exit: 0, args: [] }, process: { pid: 2, auid: null, exe: "/usr/bin/python3", argv: ["python3"] }, net: { family: "inet", address: "127.0.0.1", port: 4444 } },
      { id: "0000000000000003", ts: 1, source: "auditd", kind: "other", node_id: "n", fidelity: "kernel", record_types: ["SERVICE_STOP"], fields: { unit: "ufw" }, process: { pid: 1, auid: null, argv: [] } },
    ] as const;
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...seeds).chain((s) => mutated(s, tokens)), fc.string({ maxLength: 200 })), (text) => {
        const r = compileSigmaText(text, "fuzz.yml");
        expect(r.file).toBe("fuzz.yml");
        if ("error" in r) expect(r.error.length).toBeGreaterThan(0);
        else if ("refused" in r) expect(r.refused.feature.length).toBeGreaterThan(0);
        else for (const e of events) expect(typeof r.rule.matches(new SigmaInput(structuredClone(e) as never))).toBe("boolean");
      }),
      opts,
    );
  }, TIMEOUT);

  it("seccomp whitelists: a Whitelist that compiles within the kernel's 4096 instructions, or a user error", () => {
    const seed = read("examples", "seccomp-whitelist.example.json");
    const tokens = [...COMMON, '"read"', '"write"', '"execve"', '"nosuchcall"', '"x86_64"', '"aarch64"', '"SCMP_ACT_KILL"', '"allow"', '"errno"', '"args"', '"index": 6', '"value": -1', '"op": "masked_eq"', "18446744073709551616"];
    fc.assert(
      fc.property(mutated(seed, tokens), (text) => {
        const w = userErrorOr(() => parseWhitelist(text, "fuzz.json"));
        if (!w) return;
        for (const arch of ["x86_64", "aarch64"] as const) {
          const prog = userErrorOr(() => compile(w, arch));
          if (prog) expect(prog.length).toBeLessThanOrEqual(4096);
        }
      }),
      opts,
    );
  }, TIMEOUT);

  it("preload policies: a verdict for any bytes, never an exception", () => {
    const seed = read("policies", "preload-policy.json");
    const tokens = [...COMMON, '"version"', '"deny_exec"', '"deny_connect"', '{"cidr":"::/0"}', '"\\ud800"', '"\\u0000"', "01", "1.0"];
    fc.assert(
      fc.property(fc.oneof(mutated(seed, tokens).map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b))), (bytes) => {
        const v = parsePreloadPolicy(bytes, () => "/home/agent");
        if (!v.ok) expect(v.offset).toBeLessThanOrEqual(bytes.length);
      }),
      opts,
    );
  }, TIMEOUT);

  it("audit log lines: every line is a record or a counted parse error, never an exception", () => {
    const dir = join(PACKAGE_ROOT, "test", "fixtures", "audit");
    const lines = readdirSync(dir).filter((f) => f.endsWith(".log")).flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l !== "")).slice(0, 400);
    const tokens = [...COMMON, "type=", "msg=audit(", "):", "=(null)", "a0=", "argc=", "a1_len=9999999", "a1[0]=", "proctitle=", "saddr=", "0200", "0A00", "\u001d", "node=", "'", "msg='", "arch=c000003e", "syscall=59", "items=99"];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...lines).chain((l) => mutated(l, tokens)), fc.constantFrom(...lines)), { minLength: 1, maxLength: 12 }), (batch) => {
        const asm = createAuditAssembler({ nodeId: "fuzz", ids: new EventIdGenerator(), recordClock: true });
        let events = 0;
        for (const l of batch) events += asm.push(l, 0).length;
        events += asm.end().length;
        const nonBlank = batch.filter((l) => l !== "" && l !== "\r").length;
        expect(asm.stats.lines).toBe(nonBlank);
        expect(asm.stats.records + asm.stats.parseErrors).toBe(nonBlank);
        expect(events).toBe(asm.stats.events);
      }),
      opts,
    );
  }, TIMEOUT);
});
