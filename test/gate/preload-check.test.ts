import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isStaticElf, preloadState } from "../../src/gate/index.js";
import { PACKAGE_ROOT } from "../../src/version.js";
import { sleep } from "../helpers/system.js";

const LIB = join(PACKAGE_ROOT, "native", "preload", "build", "libclawguard.so");
const POLICY = join(PACKAGE_ROOT, "policies", "preload-policy.json");

async function started(cmd: string, args: string[], env: Record<string, string>) {
  const child = spawn(cmd, args, { env, stdio: "ignore" });
  await sleep(300); // past the loader
  return child;
}

describe.skipIf(!existsSync(LIB))("whether a live process carries the preload guard", () => {
  it("present under LD_PRELOAD; missing without it; unknown once gone or running something else", async () => {
    const guarded = await started("/usr/bin/sleep", ["5"], { LD_PRELOAD: LIB, CLAWAV_PRELOAD_POLICY: POLICY });
    const bare = await started("/usr/bin/sleep", ["5"], {});
    try {
      expect(preloadState(guarded.pid!, "/usr/bin/sleep")).toEqual({ state: "present" });
      expect(preloadState(bare.pid!, "/usr/bin/sleep")).toMatchObject({ state: "missing", reason: expect.stringContaining("without LD_PRELOAD") });
      expect(preloadState(bare.pid!, "/usr/bin/cat")).toMatchObject({ state: "unknown" });
    } finally {
      guarded.kill("SIGKILL");
      bare.kill("SIGKILL");
    }
    await sleep(100);
    expect(preloadState(bare.pid!)).toMatchObject({ state: "unknown" });
  });

  it.skipIf(spawnSync("cc", ["--version"]).status !== 0)("a static binary is missing the guard even with LD_PRELOAD set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "preload-check-"));
    const bin = join(dir, "static");
    const cc = spawnSync("cc", ["-O2", "-static", "-pthread", "-o", bin, join(PACKAGE_ROOT, "test", "native", "fixtures", "gatecheck.c")]);
    expect(cc.status).toBe(0); // libc6-dev (scripts/install-deps.sh) brings libc.a
    expect(isStaticElf(bin)).toBe(true);
    expect(isStaticElf("/usr/bin/sleep")).toBe(false);
    const p = await started(bin, ["sleep", "5"], { LD_PRELOAD: LIB });
    try {
      expect(preloadState(p.pid!, bin)).toMatchObject({ state: "missing", reason: expect.stringContaining("static binary") });
    } finally {
      p.kill("SIGKILL");
    }
  });
});
