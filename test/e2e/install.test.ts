// clawav install on this machine, for real (root; the agent is the unprivileged test user): every
// layer this machine has, the installed daemon run from the installed copy, the agent's attempts to
// stop, edit, replace or unload it, and clawav uninstall with a wrong key, then the right one.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PLACES, MANIFEST_FILE } from "../../src/install/index.js";
import { CLI, IS_ROOT, TEST_USER, run, runAsUser, runCli, waitFor } from "../helpers/system.js";

const P = DEFAULT_PLACES;
const ROOTS = [P.prefix, join(P.binDir, "clawav"), join(P.binDir, "clawsudo"), P.etcDir, P.stateDir, P.logDir, P.unitDir, P.sudoersDir, P.auditRulesDir, P.sysctlDir, P.apparmorDir];

/** Every path under the places the install touches, with its mode and owner. */
function listing(): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      return;
    }
    if (!st) return;
    out.push(`${p} ${(st.mode & 0o7777).toString(8)} ${st.uid}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  for (const r of ROOTS) walk(r);
  return out.sort();
}

const installed = () => existsSync(MANIFEST_FILE) || existsSync(P.prefix);

describe.skipIf(!IS_ROOT)("clawav install, the agent against it, clawav uninstall (real paths, real root)", () => {
  const dir = mkdtempSync(join(tmpdir(), "clawav-install-"));
  let before: string[] = [];
  let key = "";
  let daemon: ChildProcess | undefined;
  let out = "";

  beforeAll(async () => {
    expect(installed(), `${MANIFEST_FILE} or ${P.prefix} is already here: uninstall it before this test`).toBe(false);
    // Rules a test daemon left (they stay in the kernel by design) would tell the listings apart.
    await runCli(["rules", "remove"]);
    before = listing();
  });
  afterAll(() => {
    daemon?.kill("SIGKILL");
    // Whatever happened above, leave the machine as it was.
    if (existsSync(MANIFEST_FILE) && key) {
      writeFileSync(join(dir, "key"), `${key}\n`, { mode: 0o600 });
      spawnSync("sh", ["-c", `"$0" "$1" uninstall --key-fd 3 3<"$2"`, process.execPath, CLI, join(dir, "key")], { stdio: "ignore" });
    }
  });

  it("--dry-run, as the agent, prints every layer's steps and changes nothing", async () => {
    const r = await runAsUser(process.execPath, [CLI, "install", "--dry-run", "--agent", TEST_USER]);
    expect(r.code, r.stderr).toBe(0);
    for (const layer of ["package", "config", "admin-key", "audit-rules", "preload", "sudoers", "service", "immutable"]) expect(r.stdout).toMatch(new RegExp(`^\\[${layer}\\] `, "m"));
    expect(r.stdout).toMatch(/^\[kernel\] skipped: no setting chosen/m);
    expect(listing()).toEqual(before);
  });

  it("without root, a real install is refused and says so", async () => {
    const r = await runAsUser(process.execPath, [CLI, "install", "--agent", TEST_USER]);
    expect([r.code, r.stderr]).toEqual([77, expect.stringMatching(/install needs root/)]);
  });

  it("installs every layer this machine has, shows the key once, and says what it skipped and why", async () => {
    const r = await runCli(["install", "--agent", TEST_USER]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    key = /OCAV-[0-9a-f]{64}/.exec(r.stdout)?.[0] ?? "";
    expect(key).not.toBe("");
    expect(r.stdout.match(/OCAV-[0-9a-f]{64}/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/^package +applied/m);
    expect(r.stdout).toMatch(/^immutable +applied/m);
    expect(r.stdout).toMatch(/^kernel +skipped +no setting chosen/m);
    expect(r.stdout).toMatch(/^apparmor +(applied|unavailable +AppArmor is not enabled)/m);
    // Only the hash is kept, and nowhere the key itself.
    expect(spawnSync("grep", ["-rqF", key, P.etcDir, P.stateDir, P.prefix]).status).toBe(1);
    for (const f of [join(P.etcDir, "config.toml"), join(P.unitDir, "clawav.service"), join(P.sudoersDir, "clawav"), join(P.prefix, "dist", "cli", "clawav.js")]) {
      expect(spawnSync("lsattr", ["-d", f], { encoding: "utf8" }).stdout.split(/\s/)[0], f).toContain("i");
    }
    // The installed copy runs on its own.
    const v = await run(join(P.binDir, "clawav"), ["--version"]);
    expect(v.code).toBe(0);
    const chk = await run(join(P.binDir, "clawav"), ["config", "check", join(P.etcDir, "config.toml")]);
    expect([chk.code, chk.stdout.trim()]).toEqual([0, `OK: ${join(P.etcDir, "config.toml")}`]);
  });

  it("the installed daemon, started from the installed copy, runs on the installed config", async () => {
    daemon = spawn(join(P.binDir, "clawav"), ["run", "--headless"], { cwd: "/", stdio: ["ignore", "pipe", "pipe"] });
    daemon.stdout!.on("data", (b: Buffer) => (out += b.toString("utf8")));
    let err = "";
    daemon.stderr!.on("data", (b: Buffer) => (err += b.toString("utf8")));
    await waitFor("the installed daemon to run", () => (err.includes('"msg":"clawav running"') ? true : undefined), 30_000);
    expect(err).toContain(`"state_dir":"${P.stateDir}"`);
    // Everything package.json ships is installed (the gRPC telemetry's proto file too).
    expect(existsSync(join(P.prefix, "proto", "clawav", "telemetry", "v1", "telemetry.proto"))).toBe(true);
    await waitFor("clawav status to see its heartbeat", async () => {
      const s = await runCli(["status", "--json"]);
      const j = JSON.parse(s.stdout) as { heartbeat: { pid: number } | null };
      return j.heartbeat?.pid === daemon!.pid ? j : undefined;
    });
  });

  it("as the agent: stopping, editing, replacing or unloading any installed part fails", async () => {
    const pid = String(daemon!.pid);
    const attempts: [string, string][] = [
      ["kill the daemon", `kill -9 ${pid}`],
      ["stop it through sudo", "sudo -n systemctl stop clawav"],
      ["edit its config", `echo 'mode = "monitor"' >> ${P.etcDir}/config.toml`],
      ["replace its program", `cp /bin/true ${P.prefix}/dist/cli/clawav.js`],
      ["replace its link", `ln -sf /bin/true ${P.binDir}/clawav`],
      ["edit its unit", `echo '[Service]' >> ${P.unitDir}/clawav.service`],
      ["widen its sudoers", `echo '${TEST_USER} ALL=(ALL) NOPASSWD: ALL' >> ${P.sudoersDir}/clawav`],
      ["read its state", `cat ${P.stateDir}/api-token`],
      ["unload its audit rules", "auditctl -D"],
      ["stop it through clawsudo", `sudo -n ${process.execPath} ${P.prefix}/dist/cli/clawsudo.js --config ${P.etcDir}/config.toml -- systemctl stop clawav`],
    ];
    for (const [what, sh] of attempts) {
      const r = await runAsUser("bash", ["-c", sh]);
      expect(r.code, `${what}: ${sh} succeeded: ${r.stdout}${r.stderr}`).not.toBe(0);
    }
    expect(daemon!.exitCode).toBeNull();
    // Root itself cannot edit an immutable file without taking the flag off first.
    expect(spawnSync("sh", ["-c", `echo x >> ${P.etcDir}/config.toml`], { encoding: "utf8" }).stderr).toContain("Operation not permitted");
    const st = await runCli(["status"]);
    expect(st.code, st.stdout).toBe(0);
    expect(st.stdout).not.toContain("TAMPERED");
  });

  it("uninstall with a wrong key fails and the daemon raises it; with the right key everything goes and the machine is as before", async () => {
    const wrong = join(dir, "wrong");
    writeFileSync(wrong, `OCAV-${"0".repeat(64)}\n`, { mode: 0o600 });
    const w = await run("sh", ["-c", `"$0" "$1" uninstall --key-fd 3 3<"$2"`, process.execPath, CLI, wrong]);
    expect([w.code, w.stderr.trim()]).toEqual([77, "clawav: uninstall refused: wrong key"]);
    await waitFor("the wrong key's alert", () => (/"rule":"admin-wrong-key"/.test(out) ? true : undefined));
    expect(existsSync(MANIFEST_FILE)).toBe(true);
    const right = join(dir, "right");
    writeFileSync(right, `${key}\n`, { mode: 0o600 });
    const r = await run("sh", ["-c", `"$0" "$1" uninstall --key-fd 3 3<"$2"`, process.execPath, CLI, right]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(out).toMatch(/"rule":"admin-uninstall"/);
    await waitFor("the daemon to stop itself", () => (daemon!.exitCode !== null ? true : undefined), 15_000);
    expect(daemon!.exitCode).toBe(0);
    expect(listing()).toEqual(before);
    expect(spawnSync("auditctl", ["-l"], { encoding: "utf8" }).stdout).not.toContain("key=clawav");
    expect((await runCli(["status"])).code).toBe(69);
    key = "";
  }, 60_000);
});
