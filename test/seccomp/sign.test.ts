import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/system.js";

describe("signed whitelists", () => {
  it("signs, verifies, and refuses an unsigned, altered or foreign-signed whitelist when a key is configured", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-sign-"));
    const w = join(dir, "w.json");
    writeFileSync(w, JSON.stringify({ version: "1.0.0", default_action: "ALLOW", syscalls: [{ name: "mkdir", permission: "DENY" }] }));
    expect((await runCli(["seccomp", "keygen", join(dir, "k")])).code).toBe(0);
    expect((await runCli(["seccomp", "keygen", join(dir, "other")])).code).toBe(0);
    const cfg = join(dir, "c.toml");
    writeFileSync(cfg, `[seccomp]\npublic_key = "${join(dir, "k.pub")}"\n`);
    const run = () => runCli(["seccomp", "exec", "--config", cfg, "--whitelist", w, "--", "/bin/true"]);

    const unsigned = await run();
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(/refused: the whitelist is not signed/);

    expect((await runCli(["seccomp", "sign", w, "--key", join(dir, "k.key")])).stdout).toMatch(/^signed .* with key [0-9a-f]{16}/);
    expect((await runCli(["seccomp", "verify", w, "--pub", join(dir, "k.pub")])).stdout).toMatch(/^OK:/);
    expect((await run()).code).toBe(0);

    const signed = JSON.parse(readFileSync(w, "utf8")) as { default_action: string };
    writeFileSync(w, JSON.stringify({ ...signed, default_action: "LOG" }));
    const altered = await run();
    expect(altered.code).toBe(1);
    expect(altered.stderr).toMatch(/bad signature/);
    const v = await runCli(["seccomp", "verify", w, "--pub", join(dir, "k.pub")]);
    expect([v.code, v.stdout]).toEqual([1, expect.stringMatching(/^FAIL: .*bad signature/)]);

    writeFileSync(w, JSON.stringify(signed));
    await runCli(["seccomp", "sign", w, "--key", join(dir, "other.key")]);
    expect((await run()).stderr).toMatch(/signed by key [0-9a-f]{16}, not by [0-9a-f]{16}/);
  });
});
