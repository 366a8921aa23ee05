// `clawav exec`: an agent started under the preload guard with a scrubbed environment, registered
// with a real daemon; its denials reach the daemon as alerts, and its processes that shed the guard
// (a static binary, a raw execve without LD_PRELOAD) are flagged as EVASION from what auditd saw.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../src/version.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { CLI, IS_ROOT, TEST_USER, auditdUsable, run, runAsUser, runCli, userIds, waitFor } from "../helpers/system.js";

const LIB = join(PACKAGE_ROOT, "native", "preload", "build", "libclawguard.so");
const usable = IS_ROOT && existsSync(LIB);

let dir: string;
let cfg: string;
let policy: string;
let secret: string;
let gatecheck: string;
let gatecheckStatic: string | undefined;

describe.skipIf(!usable)("clawav exec", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "clawav-exec-"));
    chmodSync(dir, 0o755);
    secret = join(dir, "secret.txt");
    writeFileSync(secret, "s3cret\n", { mode: 0o644 });
    policy = join(dir, "preload-policy.json");
    writeFileSync(policy, JSON.stringify({ version: 1, log: join(dir, "preload.log"), deny_paths_read: [secret], deny_exec: [{ exe: "/usr/bin/false" }] }), { mode: 0o644 });
    cfg = join(dir, "config.toml");
    writeFileSync(cfg, `[general]\nstate_dir = "${join(dir, "state")}"\n[preload]\nlog_path = "${join(dir, "preload.log")}"\npolicy_file = "${policy}"\n`, { mode: 0o644 });
    gatecheck = join(dir, "gatecheck");
    const src = join(PACKAGE_ROOT, "test", "native", "fixtures", "gatecheck.c");
    expect(spawnSync("cc", ["-O2", "-pthread", "-o", gatecheck, src]).status).toBe(0);
    const st = join(dir, "gatecheck-static");
    if (spawnSync("cc", ["-O2", "-static", "-pthread", "-o", st, src]).status === 0) gatecheckStatic = st;
  });

  it("scrubs the environment to an allow list, sets the guard, and exits with the agent's status", async () => {
    const r = await run(process.execPath, [CLI, "exec", "--no-register", "--config", cfg, "--keep-env", "KEEP_ME", "--", "/bin/sh", "-c", "env; exit 7"], {
      env: { PATH: "/usr/bin:/bin", HOME: "/root", KEEP_ME: "yes", GITHUB_TOKEN: "ghp_x", AWS_SECRET_ACCESS_KEY: "k", LD_LIBRARY_PATH: "/tmp", PYTHONSTARTUP: "/tmp/x.py" },
    });
    expect(r.code).toBe(7);
    const env = Object.fromEntries(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(env).toMatchObject({ PATH: "/usr/bin:/bin", KEEP_ME: "yes", LD_PRELOAD: LIB, CLAWAV_PRELOAD_POLICY: policy });
    for (const k of ["GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "LD_LIBRARY_PATH", "PYTHONSTARTUP"]) expect(env[k], k).toBeUndefined();
    const killed = await runCli(["exec", "--no-register", "--config", cfg, "--", "/bin/sh", "-c", "kill -TERM $$"]);
    expect(killed.code).toBe(143);
  });

  it("refuses a policy the guard would refuse, before anything starts", async () => {
    const loose = join(dir, "loose.json");
    writeFileSync(loose, JSON.stringify({ version: 1 }));
    chmodSync(loose, 0o666);
    const r = await runCli(["exec", "--no-register", "--config", cfg, "--policy", loose, "--", "/bin/true"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("writable by group or others");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ version: 1, deny_paths_read: ["relative/path"] }), { mode: 0o644 });
    const b = await runCli(["exec", "--no-register", "--config", cfg, "--policy", bad, "--", "/bin/true"]);
    expect(b.code).toBe(65);
    expect(b.stderr).toContain(`clawav: ${bad}: line 1, column 33: deny_paths_read: "relative/path" is not an absolute path (or ~/...); the guard would refuse this policy and fail closed`);
  });

  it("runs under --seccomp too: the whitelist's denial and the guard both apply", async () => {
    const w = join(dir, "w.json");
    writeFileSync(w, JSON.stringify({ version: "1.0.0", default_action: "ALLOW", syscalls: [{ name: "mkdir", permission: "DENY", action: { errno: 13 } }, { name: "mkdirat", permission: "DENY", action: { errno: 13 } }] }));
    const target = join(dir, "made-under-seccomp");
    const r = await runCli(["exec", "--no-register", "--config", cfg, "--seccomp", w, "--", "/bin/sh", "-c", `mkdir ${target}; echo mkdir=$?; cat ${secret}; echo cat=$?`]);
    expect(r.stdout).toBe("mkdir=1\ncat=1\n");
    expect(r.stderr).toContain("Permission denied");
    expect(existsSync(target)).toBe(false);
  });

  describe.skipIf(!auditdUsable())("with the daemon", () => {
    let daemon: DaemonUnderTest;
    beforeAll(async () => {
      daemon = new DaemonUnderTest(join(dir, "state"), ["--config", cfg]);
      await daemon.start();
    }, 60_000);
    afterAll(async () => {
      await daemon?.stop();
    });

    it("registers the agent, runs it as --user under the guard, and its denials become alerts", async () => {
      const r = await runCli(["exec", "--config", cfg, "--user", TEST_USER, "--name", "testagent", "--", "/bin/sh", "-c", `id -u; cat ${secret}; echo cat=$?; /usr/bin/false; echo false=$?`]);
      expect(r.stdout).toBe(`${userIds(TEST_USER).uid}\ncat=1\nfalse=126\n`);
      expect(r.code).toBe(0);
      const read = await daemon.waitAlert("the preload read denial", (a) => a.rule === "preload-deny-read" && a.event.file?.path === secret);
      expect(read).toMatchObject({ category: "CRED_ACCESS", action: "deny", event: { source: "preload", process: { uid: userIds(TEST_USER).uid, exe: "/usr/bin/cat" } } });
      const ex = await daemon.waitAlert("the preload exec denial", (a) => a.rule === "preload-deny-exec");
      expect(ex.summary).toContain("/usr/bin/false");
      expect(daemon.logs.some((l) => l.msg === "agent registered" && l.name === "testagent")).toBe(true);
    });

    it("counts a line in the preload log it cannot read, shows the count, and raises a critical forgery alert", async () => {
      const r = await runAsUser("/bin/sh", ["-c", `echo 'not a guard line' >> ${join(dir, "preload.log")}`]);
      expect(r.code).toBe(0);
      const api = JSON.parse(readFileSync(join(dir, "state", "api.json"), "utf8")) as { port: number };
      const src = await waitFor("the preload source to count the bad line", async () => {
        const token = readFileSync(join(dir, "state", "api-token"), "utf8").trim();
        const st = (await (await fetch(`http://127.0.0.1:${api.port}/api/status`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { sources: { name: string; parse_errors: number; detail?: string }[] };
        const p = st.sources.find((s) => s.name === "preload");
        return p && p.parse_errors > 0 ? p : undefined;
      });
      expect(src.detail).toContain("not JSON");
      // Agents can append to the log: a line the guard did not write is forgery or a flood.
      const a = await daemon.waitAlert("the forgery alert", (x) => x.rule === "preload-log-forged");
      expect(a).toMatchObject({ severity: "critical", category: "SEC_TAMPER" });
      expect(a.summary).toContain("1 line(s)");
    });

    it("raises a critical alert when the preload log is truncated (agents can append to it, so they can also cut it)", async () => {
      const log = join(dir, "preload.log");
      expect(statSync(log).size).toBeGreaterThan(0);
      const r = await runAsUser("/usr/bin/truncate", ["-s", "0", log]);
      expect(r.code).toBe(0);
      const a = await daemon.waitAlert("the truncation alert", (x) => x.rule === "preload-log-truncated");
      expect(a).toMatchObject({ severity: "critical", category: "SEC_TAMPER" });
    });

    it("flags a process of the agent that runs without the guard: a static binary, and a raw execve", async () => {
      const jobs = [runCli(["exec", "--config", cfg, "--user", TEST_USER, "--name", "rawagent", "--", gatecheck, "rawexec", "/usr/bin/sleep", "3"])];
      if (gatecheckStatic) jobs.push(runCli(["exec", "--config", cfg, "--user", TEST_USER, "--name", "staticagent", "--", gatecheckStatic, "sleep", "3"]));
      const raw = await daemon.waitAlert("EVASION for the raw execve", (a) => a.rule === "preload-guard-missing" && a.event.process?.agent === "rawagent", 20_000);
      expect(raw).toMatchObject({ severity: "critical", category: "EVASION", event: { process: { exe: "/usr/bin/sleep" } } });
      expect(raw.summary).toContain("without LD_PRELOAD");
      if (gatecheckStatic) {
        const st = await daemon.waitAlert("EVASION for the static binary", (a) => a.rule === "preload-guard-missing" && a.event.process?.agent === "staticagent", 20_000);
        expect(st.summary).toContain("static binary");
      }
      for (const j of await Promise.all(jobs)) expect(j.code).toBe(0);
      // Guarded processes are not flagged: not the launch wrapper, not testagent's shell, cat or id.
      expect(daemon.alerts.some((a) => a.rule === "preload-guard-missing" && a.event.process?.agent === "testagent")).toBe(false);
      // A guarded process of the same agents was not flagged: only the ones that shed the guard.
      expect(daemon.alerts.filter((a) => a.rule === "preload-guard-missing").every((a) => a.event.process?.exe !== gatecheck)).toBe(true);
    }, 40_000);

    it("does not start an agent it cannot register (here: the agent user cannot read the token)", async () => {
      const r = await runAsUser(process.execPath, [CLI, "exec", "--config", cfg, "--", "/bin/true"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("cannot register the agent with the daemon");
    });
  });
});
