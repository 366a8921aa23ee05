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
];

const ACCEPTED = new Set(["the shipped policy", "minimal", "all kinds", "unicode escapes"]);

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
