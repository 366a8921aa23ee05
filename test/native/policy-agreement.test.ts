// The preload policy has two readers: clawav (TypeScript, `clawav preload check`, `clawav exec`)
// and the guard itself (C). They must agree on every file: a policy clawav accepts and the guard
// refuses would fail closed at run time; one the guard accepts and clawav refuses could not be used.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../src/version.js";
import { IS_ROOT, runCli } from "../helpers/system.js";

const LIB = join(PACKAGE_ROOT, "native", "preload", "build", "libclawguard.so");

const CASES: [string, string][] = [
  ["the shipped policy", JSON.stringify(JSON.parse(spawnSync("cat", [join(PACKAGE_ROOT, "policies", "preload-policy.json")], { encoding: "utf8" }).stdout))],
  ["minimal", `{"version": 1}`],
  ["all kinds", `{"version":1,"log":"/tmp/x.log","quiet":true,"deny_exec":["bash -i",{"exe":"/usr/bin/nc","argv":["-e*"]}],"deny_paths_read":["~/.ssh/","/etc/shadow"],"deny_paths_write":["/etc/"],"deny_connect":[{"cidr":"10.0.0.0/8","port":22},{"address":"::1"},{"port":25}]}`],
  ["unicode escapes", `{"version":1,"deny_paths_read":["/srv/caf\\u00e9/"]}`],
  ["version 2", `{"version": 2}`],
  ["no version", `{"deny_exec": []}`],
  ["unknown key", `{"version":1,"deny_everything":true}`],
  ["relative path", `{"version":1,"deny_paths_read":["etc/shadow"]}`],
  ["relative log", `{"version":1,"log":"preload.log"}`],
  ["prefix too long", `{"version":1,"deny_connect":[{"cidr":"10.0.0.0/33"}]}`],
  ["not an address", `{"version":1,"deny_connect":[{"cidr":"evil.example"}]}`],
  ["port 0", `{"version":1,"deny_connect":[{"port":0}]}`],
  ["port 70000", `{"version":1,"deny_connect":[{"port":70000}]}`],
  ["fractional port", `{"version":1,"deny_connect":[{"port":22.5}]}`],
  ["empty connect rule", `{"version":1,"deny_connect":[{}]}`],
  ["empty exec", `{"version":1,"deny_exec":[""]}`],
  ["number in argv", `{"version":1,"deny_exec":[{"exe":"x","argv":[1]}]}`],
  ["quiet as a string", `{"version":1,"quiet":"yes"}`],
  ["trailing garbage", `{"version":1} x`],
  ["not an object", `[1]`],
  // What issue 12 found clawav accepting and the guard refusing:
  ["a string over 8187 bytes", `{"version":1,"deny_paths_read":["/${"a".repeat(8200)}"]}`],
  ["an escaped NUL", `{"version":1,"deny_paths_read":["/a\\u0000b"]}`],
  ["a lone high surrogate", `{"version":1,"deny_paths_read":["/a\\ud800"]}`],
  ["a lone low surrogate", `{"version":1,"deny_paths_read":["/a\\udc00"]}`],
  ["version 1.0", `{"version": 1.0}`],
  ["version 1e0", `{"version": 1e0}`],
  ["version 01", `{"version": 01}`],
  ["a key twice", `{"version":1,"deny_exec":["nc"],"deny_exec":["curl"]}`],
  ["cidr and address in one rule", `{"version":1,"deny_connect":[{"cidr":"10.0.0.0/8","address":"::1"}]}`],
  ["a zone id", `{"version":1,"deny_connect":[{"address":"fe80::1%eth0"}]}`],
  ["a spaced prefix", `{"version":1,"deny_connect":[{"cidr":"10.0.0.0/ 8"}]}`],
  ["seed 000's format", `{"enabled":true,"deny_exec":["bash -c","sh -c"],"deny_paths_write":["/etc/shadow","/etc/passwd","/etc/clawav"],"deny_connect":[],"log_file":"/var/log/clawav/preload.log"}`],
  ["seed 000's format, disabled", `{"enabled":false,"deny_exec":["bash -c"]}`],
  ["log and log_file", `{"version":1,"log":"/a","log_file":"/b"}`],
];

const ACCEPTED = new Set(["the shipped policy", "minimal", "all kinds", "unicode escapes", "seed 000's format", "seed 000's format, disabled"]);

describe.skipIf(!IS_ROOT || !existsSync(LIB))("clawav and the guard read a preload policy alike", () => {
  const dir = mkdtempSync(join(tmpdir(), "policy-agree-"));
  chmodSync(dir, 0o755);
  it.each(CASES)("%s", async (_name, text) => {
    const f = join(dir, `${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(f, text, { mode: 0o644 });
    const ts = await runCli(["preload", "check", f]);
    const c = spawnSync("/usr/bin/true", [], { env: { LD_PRELOAD: LIB, CLAWAV_PRELOAD_POLICY: f }, encoding: "utf8" });
    const cAccepts = !c.stderr.includes("policy_invalid") && !c.stderr.includes("policy_rejected");
    const tsAccepts = ts.code === 0;
    const want = ACCEPTED.has(_name);
    expect({ clawav: tsAccepts, guard: cAccepts, detail: tsAccepts ? "" : ts.stderr.trim() }).toMatchObject({ clawav: want, guard: want });
  });
});

describe.skipIf(!IS_ROOT || !existsSync(LIB))("seed 000's preload policy format", () => {
  const dir = mkdtempSync(join(tmpdir(), "policy-seed000-"));
  chmodSync(dir, 0o755);

  it("is read with its keys mapped, and a notice says how", async () => {
    const f = join(dir, "seed.json");
    writeFileSync(f, CASES.find(([n]) => n === "seed 000's format")![1], { mode: 0o644 });
    const r = await runCli(["preload", "check", f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`notice: ${f}: seed 000's policy format (enabled, log_file) is read as: "log_file" as "log"`);
    expect(r.stdout).toContain("2 exec, 0 read, 3 write, 0 connect rules");
    // The guard takes it too, and denies what it names.
    const c = spawnSync("/bin/sh", ["-c", "exec bash -c 'echo ran'"], { env: { LD_PRELOAD: LIB, CLAWAV_PRELOAD_POLICY: f, PATH: "/usr/bin:/bin" }, encoding: "utf8" });
    expect(c.stdout).not.toContain("ran");
  });

  it('"enabled": false turns every rule off, in the guard and in what clawav reports', async () => {
    const f = join(dir, "off.json");
    writeFileSync(f, `{"enabled":false,"deny_exec":["bash -c"]}`, { mode: 0o644 });
    const r = await runCli(["preload", "check", f]);
    expect(r.stdout).toContain("(all off: enabled is false)");
    const c = spawnSync("/bin/sh", ["-c", "exec bash -c 'echo ran'"], { env: { LD_PRELOAD: LIB, CLAWAV_PRELOAD_POLICY: f, PATH: "/usr/bin:/bin" }, encoding: "utf8" });
    expect(c.stdout).toContain("ran");
  });
});
