import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT, VERSION } from "../../src/version.js";
import { IS_ROOT, run, runAsUser } from "../helpers/system.js";

const SCRIPT = join(PACKAGE_ROOT, "scripts", "install.sh");

describe.skipIf(!IS_ROOT)("scripts/install.sh: clawav and clawsudo on PATH", () => {
  // Under /opt, not /tmp: an installed copy must sit where the agent cannot swap a parent folder.
  mkdirSync("/opt", { recursive: true, mode: 0o755 });
  const prefix = mkdtempSync("/opt/clawav-install-test-");
  chmodSync(prefix, 0o755);
  afterAll(() => rmSync(prefix, { recursive: true, force: true }));

  it("installs a root-owned copy the unprivileged user runs from PATH and cannot change", async () => {
    const r = await run("bash", [SCRIPT, "--prefix", prefix]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`install: ${prefix}/bin/clawav and ${prefix}/bin/clawsudo -> ${prefix}/lib/clawav`);

    expect(readlinkSync(join(prefix, "bin", "clawav"))).toBe(join(prefix, "lib", "clawav", "dist", "cli", "clawav.js"));
    expect(lstatSync(join(prefix, "bin", "clawsudo")).isSymbolicLink()).toBe(true);
    // Production dependencies only: the test runner stays behind.
    expect(existsSync(join(prefix, "lib", "clawav", "node_modules", "zod"))).toBe(true);
    expect(existsSync(join(prefix, "lib", "clawav", "node_modules", "vitest"))).toBe(false);
    // Nothing in the copy is writable by anyone but root, and all of it is root's.
    const bad = spawnSync("find", [join(prefix, "lib", "clawav"), "(", "-perm", "/022", "-o", "!", "-user", "root", ")", "-print"], { encoding: "utf8" });
    expect(bad.stdout).toBe("");

    const env = { PATH: `${prefix}/bin:/usr/bin:/bin` };
    const v = await runAsUser("clawav", ["--version"], { env });
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(`clawav ${VERSION} (node ${process.versions.node})`);
    const s = await runAsUser("clawsudo", ["--help"], { env });
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^usage: clawsudo/m);
    // The policies ship with the copy: the installed clawav reads them from its own folder.
    const list = await runAsUser("clawav", ["policy", "list"], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`[${join(prefix, "lib", "clawav", "policies", "default.yaml")}:`);
    // So do the agent profiles and the web dashboard's assets.
    const prof = await runAsUser("clawav", ["profiles", "list"], { env });
    expect(prof.code, prof.stderr).toBe(0);
    expect(prof.stdout).toMatch(/^openclaw\b/m);
    expect(existsSync(join(prefix, "lib", "clawav", "dist", "web", "manifest.json"))).toBe(true);

    const u = spawnSync("runuser", ["-u", "clawavtest", "--", "sh", "-c", `echo x >> "$1"`, "sh", join(prefix, "lib", "clawav", "dist", "cli", "clawav.js")]);
    expect(u.status).not.toBe(0);
  });

  it("replaces an installed copy, and leaves no stage folder behind", async () => {
    const stale = join(prefix, "lib", "clawav", "stale-file");
    writeFileSync(stale, "x");
    const r = await run("bash", [SCRIPT, `--prefix=${prefix}`]);
    expect(r.code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    const left = spawnSync("find", [join(prefix, "lib"), "-maxdepth", "1", "-name", ".clawav.*"], { encoding: "utf8" });
    expect(left.stdout).toBe("");
    expect(statSync(join(prefix, "lib", "clawav")).mode & 0o777).toBe(0o755);
  });

  it("says what is wrong with its arguments, and refuses a non-root user", async () => {
    const rel = await run("bash", [SCRIPT, "--prefix", "relative/dir"]);
    expect(rel.code).toBe(64);
    expect(rel.stderr).toBe("install: --prefix must be an absolute path, not 'relative/dir'\n");
    const unk = await run("bash", [SCRIPT, "--frobnicate"]);
    expect(unk.code).toBe(64);
    expect(unk.stderr).toContain("unknown argument '--frobnicate'");
    const user = await runAsUser("bash", [SCRIPT, "--prefix", prefix]);
    expect(user.code).toBe(77);
    expect(user.stderr).toContain("run as root");
  });
});
