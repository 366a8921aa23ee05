import { chmodSync, chownSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { commandHash, displayCommand, resolveExecutable, untrustedReason } from "../../src/gate/index.js";

describe("clawsudo command resolution", () => {
  it("looks bare names up on the secure PATH only, and follows symlinks to the real file", () => {
    const r = resolveExecutable("id", "/");
    expect(r).toEqual({ ok: true, exe: "/usr/bin/id" });
    const dir = mkdtempSync(join(tmpdir(), "clawsudo-cmd-"));
    writeFileSync(join(dir, "evil"), "#!/bin/sh\n", { mode: 0o755 });
    // The agent's PATH is never consulted: a bare name in its directory is not found.
    expect(resolveExecutable("evil", dir)).toMatchObject({ ok: false, reason: expect.stringContaining("not found in /usr/local/sbin") });
    expect(resolveExecutable("./evil", dir)).toEqual({ ok: true, exe: join(dir, "evil") });
    symlinkSync("/usr/bin/id", join(dir, "link"));
    expect(resolveExecutable(join(dir, "link"), "/")).toEqual({ ok: true, exe: "/usr/bin/id" });
  });

  it("calls a file untrusted when it or a directory above it can be changed by non-root", () => {
    expect(untrustedReason("/usr/bin/id")).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), "clawsudo-cmd-"));
    const f = join(dir, "tool");
    writeFileSync(f, "#!/bin/sh\n", { mode: 0o755 });
    chmodSync(f, 0o757);
    expect(untrustedReason(f)).toContain("writable by everyone");
    chmodSync(f, 0o755);
    // Root's directory inside the sticky /tmp: nobody else can rename or remove it.
    expect(untrustedReason(f)).toBeUndefined();
    chmodSync(dir, 0o777);
    expect(untrustedReason(f)).toBe(`${dir} is writable by everyone (mode 777)`);
    // Sticky protects root's entries only.
    chmodSync(dir, 0o1777);
    expect(untrustedReason(f)).toBeUndefined();
    chownSync(f, 1001, 1001);
    expect(untrustedReason(f)).toBe(`${f} is owned by uid 1001, not root`);
  });

  it("hashes commands so that no two different commands share an approval", () => {
    const base = { exe: "/usr/bin/rm", args: ["a b"], cwd: "/srv", uid: 1001 };
    const h = commandHash(base);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(commandHash({ ...base })).toBe(h);
    expect(commandHash({ ...base, args: ["a", "b"] })).not.toBe(h);
    expect(commandHash({ ...base, cwd: "/" })).not.toBe(h);
    expect(commandHash({ ...base, uid: 1002 })).not.toBe(h);
    expect(commandHash({ ...base, exe: "/usr/bin/rmdir" })).not.toBe(h);
  });

  it("shows commands shell-quoted", () => {
    expect(displayCommand(["/usr/bin/echo", "a b", "it's", "plain"])).toBe(`/usr/bin/echo 'a b' 'it'\\''s' plain`);
  });
});
