// Agent profiles, live: the daemon run with --profile full over the real auditd, the test user
// running a copy of bash named openclaw (so its process tree is the OpenClaw agent), and the
// profile's rules, tools list and watched paths acting on what it does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditdUsable, IS_ROOT, run, runAsUser, TEST_USER, userIds } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

const live = IS_ROOT && auditdUsable();

describe.skipIf(!live)("agent profiles: run --profile full", () => {
  let d: DaemonUnderTest;
  const dir = mkdtempSync(join(tmpdir(), "clawav-profile-"));
  const openclaw = join(dir, "openclaw");
  const u = live ? userIds(TEST_USER) : { uid: 0, gid: 0, home: "/nonexistent" };
  const claudeJson = join(u.home, ".claude.json");

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    copyFileSync("/bin/bash", openclaw);
    chmodSync(openclaw, 0o755);
    writeFileSync(claudeJson, "{}\n", { mode: 0o600 });
    chownSync(claudeJson, u.uid, u.gid);
    d = DaemonUnderTest.withTempState(["--profile", "full"], "[ebpf]\nsyscalls = false\ndns_answers = false\n");
    await d.start();
  }, 60_000);

  afterAll(async () => {
    await d?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(claudeJson, { force: true });
  });

  it("the status names the profile, and the profile's paths are watched by auditd", async () => {
    expect((await d.api<{ profile: string | null }>("/api/status")).profile).toBe("full");
    const rules = (await run("auditctl", ["-l"])).stdout;
    // ~/.claude.json is the claude-code profile's, not one of the built-in home watches.
    expect(rules).toContain(`-w ${claudeJson} -p rwa`);
    expect(rules).toContain(`-w ${join(u.home, ".wwebjs_auth")} -p rwa`);
  });

  it("OpenClaw's process tree: mount asks for quarantine, an unusual tool is info, a host file alerts, a usual tool is quiet", async () => {
    const tag = `clawav-profile-${Date.now()}`;
    const r = await runAsUser(openclaw, ["-c", `mount >/dev/null; xxd -l 1 /dev/null >/dev/null; cat /etc/hostname >/dev/null; ls ${tag} 2>/dev/null; true`]);
    expect(r.code).toBe(0);
    const mount = await d.waitAlert("openclaw-mount", (a) => a.rule === "openclaw-mount");
    expect(mount).toMatchObject({ severity: "critical", category: "PRIV_ESC", event: { process: { agent: "openclaw" } } });
    // Monitor mode: the quarantine the rule asks for is said, not done.
    await d.waitAlert("the quarantine openclaw would get", (a) => a.rule === "agent-would-be-quarantined" && a.event.process?.agent === "openclaw");
    const xxd = await d.waitAlert("openclaw-unusual-tool for xxd", (a) => a.rule === "openclaw-unusual-tool" && a.event.process?.argv[0] === "xxd");
    expect(xxd.severity).toBe("info");
    await d.waitAlert("openclaw-host-fs for /etc/hostname", (a) => a.rule === "openclaw-host-fs" && (a.event.process?.argv.includes("/etc/hostname") ?? false));
    await d.waitEvent("the ls exec", (e) => e.kind === "exec" && (e.process?.argv.includes(tag) ?? false));
    expect(d.alerts.filter((a) => a.rule === "openclaw-unusual-tool" && a.event.process?.argv[0] === "ls")).toEqual([]);
  });

  it("a read of a path only the profile watches is a file event of the agent's user", async () => {
    const r = await runAsUser("/bin/cat", [claudeJson]);
    expect(r.code).toBe(0);
    const e = await d.waitEvent("the read of ~/.claude.json", (x) => x.kind === "file" && x.source === "auditd" && (x.file?.path === claudeJson || (x.file?.items.some((i) => i.name === claudeJson) ?? false)));
    expect(e.process!.uid).toBe(u.uid);
  });

  it("an unknown profile stops the daemon before it starts, naming the known ones", async () => {
    const r = await run(process.execPath, [join(process.cwd(), "dist", "cli", "clawav.js"), "run", "--headless", "--profile", "opencalw", "--state-dir", join(dir, "s2")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no agent profile "opencalw": known profiles are claude-code, clawbot, moltbot, openclaw, full');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
