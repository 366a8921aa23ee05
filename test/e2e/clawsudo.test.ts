// clawsudo through Debian's real sudo, as the unprivileged test user, against a running daemon:
// allow, deny (77), ask → approved by root, ask → timeout (78), the agent's own approval refused,
// shell escapes of allowed binaries denied, and fail-closed when the daemon is gone.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedInstall } from "../helpers/install.js";
import { CHROMIUM, launchChromium, screenshot, signIn } from "../helpers/browser.js";
import type { Alert } from "../../src/events/index.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { CLI, IS_ROOT, TEST_USER, commandExists, run, runAsUser, runCli, userIds, waitFor } from "../helpers/system.js";

let install: { root: string; cleanup(): void };
let CLAWSUDO: string;
const SUDOERS = "/etc/sudoers.d/clawav-test";
const usable = IS_ROOT && commandExists("sudo") && commandExists("visudo");

let dir: string;
let cfg: string;
let work: string;
let daemon: DaemonUnderTest;

function clawsudo(args: string[]) {
  return runAsUser(process.execPath, [CLAWSUDO, "--config", cfg, ...args], { cwd: work });
}

/** Starts clawsudo and resolves with the request id it prints, plus its eventual result. */
function clawsudoAsking(args: string[]): { id: Promise<string>; done: Promise<{ code: number | null; stderr: string; stdout: string }> } {
  const u = userIds(TEST_USER);
  const child = spawn(process.execPath, [CLAWSUDO, "--config", cfg, ...args], { cwd: work, uid: u.uid, gid: u.gid, env: { PATH: "/usr/bin:/bin", HOME: u.home }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<{ code: number | null; stderr: string; stdout: string }>((r) => child.on("close", (code) => r({ code, stderr, stdout })));
  const id = waitFor("clawsudo to print its request id", () => /request ([0-9a-f]{8}) needs/.exec(stderr)?.[1], 20_000);
  return { id, done };
}

/** Alerts as the audit chain recorded them: all of them, before the aggregator thins what reaches people. */
function waitChainAlert(what: string, pred: (a: Alert) => boolean): Promise<Alert> {
  return waitFor(what, () => {
    for (const line of readFileSync(join(dir, "state", "audit.chain"), "utf8").split("\n")) {
      if (!line) continue;
      const e = JSON.parse(line) as { type: string; alert?: Alert };
      if (e.type === "alert" && e.alert && pred(e.alert)) return e.alert;
    }
    return undefined;
  });
}

describe.skipIf(!usable)("clawsudo through real sudo", () => {
  beforeAll(async () => {
    install = trustedInstall();
    CLAWSUDO = join(install.root, "dist", "cli", "clawsudo.js");
    dir = mkdtempSync(join(tmpdir(), "clawsudo-e2e-"));
    // The config is not secret (the agent may read it); the state dir inside stays root's alone.
    chmodSync(dir, 0o755);
    work = mkdtempSync(join(tmpdir(), "clawsudo-work-"));
    chmodSync(work, 0o755);
    mkdirSync(join(dir, "policies"));
    writeFileSync(
      join(dir, "policies", "clawsudo-test.yaml"),
      `rules:
  - name: allow-id
    match: { exe: ["/usr/bin/id"] }
    enforcement: allow
  - name: deny-rm
    description: "no removing files as root"
    match: { exe: ["/usr/bin/rm"] }
    enforcement: deny
  - name: allow-escapable
    description: "binaries that are fine until used to get a shell"
    match: { command: [find, tar, awk, mawk, gawk, env, xargs, less, man, vi, vim, journalctl, systemctl, sed, cat] }
    enforcement: allow
`,
    );
    // A detection policy file in the same folder must not be read as clawsudo's (and vice versa).
    writeFileSync(join(dir, "policies", "detect.yaml"), "rules: []\n");
    cfg = join(dir, "config.toml");
    writeFileSync(
      cfg,
      `[general]\nstate_dir = "${join(dir, "state")}"\n[clawsudo]\nask_timeout = 5\npolicy_dirs = ["${join(dir, "policies")}"]\n[preload]\nlog_path = "${join(dir, "preload.log")}"\n`,
      { mode: 0o644 },
    );
    chmodSync(cfg, 0o644);
    daemon = new DaemonUnderTest(join(dir, "state"), ["--config", cfg]);
    await daemon.start();
    const s = await run(process.execPath, [join(install.root, "dist", "cli", "clawav.js"), "sudoers", "--agent", TEST_USER, "--config", cfg, "--output", SUDOERS]);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    rmSync(SUDOERS, { force: true });
    await daemon?.stop();
    install?.cleanup();
  });

  it("installs a sudoers entry that visudo accepts and that allows clawsudo and nothing else", () => {
    const entry = readFileSync(SUDOERS, "utf8");
    expect(entry).toContain(`${TEST_USER} ALL=(root) NOPASSWD: CLAWSUDO_CLAWAVTEST`);
    expect(entry).toContain(`${CLAWSUDO} --config ${cfg} -- *`);
    expect(entry).toMatch(/Defaults!CLAWSUDO_CLAWAVTEST env_reset/);
    expect(statSync(SUDOERS).mode & 0o777).toBe(0o440);
    expect(spawnSync("visudo", ["-c", "-q"]).status).toBe(0);
    const list = spawnSync("sudo", ["-l", "-U", TEST_USER], { encoding: "utf8" }).stdout;
    expect(list).toContain("clawsudo.js");
    expect(list).not.toMatch(/NOPASSWD: ALL\b|\(ALL\) ALL/);
  });

  it("says what is wrong with a sudoers request, and with a bad report to the daemon", async () => {
    const s = await runCli(["sudoers", "--agent", "no-such-user-here"]);
    expect(s.code).not.toBe(0);
    expect(s.stderr).toBe("clawav: --agent: no user no-such-user-here in /etc/passwd\n");
    const api = JSON.parse(readFileSync(join(dir, "state", "api.json"), "utf8")) as { port: number };
    const token = readFileSync(join(dir, "state", "api-token"), "utf8").trim();
    const r = await fetch(`http://127.0.0.1:${api.port}/api/clawsudo/decisions`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ decision: "allow", reason: "x", rule: "r", user: "u", uid: -1 }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/^uid: /);
  });

  it("runs an allowed command as root and records the decision", async () => {
    const r = await clawsudo(["id", "-u"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("0\n");
    expect(r.code).toBe(0);
    await waitChainAlert("the allow alert", (a) => a.rule === "clawsudo-allow" && a.event.process?.argv.join(" ") === "/usr/bin/id -u");
  });

  it("refuses the agent's own sudo for anything but clawsudo", async () => {
    const r = await runAsUser("sudo", ["-n", "/usr/bin/id", "-u"]);
    expect(r.code).not.toBe(0);
    const sneaky = await runAsUser("sudo", ["-n", process.execPath, CLAWSUDO, "--config", "/tmp/other.toml", "--", "/usr/bin/id"]);
    expect(sneaky.code).not.toBe(0);
    expect(sneaky.stdout).toBe("");
  });

  it("denies by policy with exit 77 and an alert naming the rule", async () => {
    const victim = join(work, "keep-me");
    writeFileSync(victim, "x");
    const r = await clawsudo(["rm", "-f", victim]);
    expect(r.code).toBe(77);
    expect(r.stderr).toContain("deny-rm");
    expect(existsSync(victim)).toBe(true);
    const a = await waitChainAlert("the deny alert", (x) => x.rule === "clawsudo-deny" && x.event.process?.argv.includes(victim) === true);
    expect(a).toMatchObject({ action: "deny", category: "PRIV_ESC", event: { source: "clawsudo", process: { user: TEST_USER } } });
  });

  it("denies each shell escape of an allowed binary", async () => {
    const escapes: string[][] = [
      ["find", "/etc/hostname", "-maxdepth", "0", "-exec", "/bin/sh", "-c", "id", ";"],
      ["tar", "-cf", "/dev/null", "/etc/hostname", "--checkpoint=1", "--checkpoint-action=exec=/bin/sh"],
      ["awk", 'BEGIN {system("/bin/sh")}'],
      ["env", "/bin/sh", "-c", "id"],
      ["xargs", "/bin/sh"],
      ["sed", "-n", "1e id", "/etc/hostname"],
    ];
    if (commandExists("less")) escapes.push(["less", "/etc/hostname"]);
    if (commandExists("man")) escapes.push(["man", "man"]);
    if (commandExists("vi")) escapes.push(["vi", "-c", "!sh", "/etc/hostname"]);
    if (commandExists("journalctl")) escapes.push(["journalctl", "-n", "1"]);
    if (commandExists("systemctl")) escapes.push(["systemctl", "status"]);
    for (const e of escapes) {
      const r = await clawsudo(e);
      expect(r.code, `${e.join(" ")}: ${r.stderr}`).toBe(77);
      expect(r.stdout, e.join(" ")).not.toMatch(/uid=0/);
      expect(r.stderr, e.join(" ")).toMatch(/denied: .*\(rule escape-/);
    }
    // The same binaries, used plainly, run.
    const ok = await clawsudo(["find", "/etc/hostname", "-maxdepth", "0"]);
    expect(ok.stdout).toBe("/etc/hostname\n");
    expect(ok.code).toBe(0);
  });

  it("never lets a command reach clawav's own state (its token would approve anything)", async () => {
    const r = await clawsudo(["cat", join(dir, "state", "api-token")]);
    expect(r.code).toBe(77);
    expect(r.stderr).toContain("protect-clawav");
    expect(r.stdout).toBe("");
    const cli = await clawsudo([join(install.root, "dist", "cli", "clawav.js"), "approve", "--list"]);
    expect(cli.code).toBe(77);
  });

  it("asks when no rule matches; root approves once; the command runs as root", async () => {
    const target = join(work, "made-by-root");
    const { id, done } = clawsudoAsking(["touch", target]);
    const rid = await id;
    const asked = await daemon.waitAlert("the ask alert", (a) => a.rule === "clawsudo-ask" && a.event.gate?.request_id === rid);
    expect(asked.summary).toContain(`clawav approve ${rid}`);
    // The agent cannot approve its own request: the token is root's, and the API wants it.
    const self = await runAsUser(process.execPath, [CLI, "approve", rid, "--config", cfg]);
    expect(self.code).not.toBe(0);
    expect(self.stderr).toContain("run this as root");
    const api = JSON.parse(readFileSync(join(dir, "state", "api.json"), "utf8")) as { port: number };
    const noToken = await fetch(`http://127.0.0.1:${api.port}/api/clawsudo/requests/${rid}/approve`, { method: "POST", body: "{}" });
    expect(noToken.status).toBe(401);
    const ok = await runCli(["approve", rid, "--config", cfg]);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toContain(`approved ${rid}`);
    const r = await done;
    expect(r.code).toBe(0);
    expect(statSync(target).uid).toBe(0);
    await waitChainAlert("the run alert", (a) => a.rule === "clawsudo-run" && a.event.gate?.request_id === rid);
    // Single use: the approval is spent.
    const again = await runCli(["approve", rid, "--config", cfg]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already used");
  }, 60_000);

  it.skipIf(!CHROMIUM)("approved in the web dashboard (real Chromium): the command runs as root", async () => {
    const target = join(work, "made-by-root-via-web");
    const { id, done } = clawsudoAsking(["touch", target]);
    const rid = await id;
    const key = /OCAV-[0-9a-f]{64}/.exec(daemon.stderr)?.[0];
    expect(key, "the admin key the daemon showed at its first start").toBeDefined();
    const api = JSON.parse(readFileSync(join(dir, "state", "api.json"), "utf8")) as { port: number };
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await signIn(page, `http://127.0.0.1:${api.port}`, key!);
      await page.click("button[data-tab=Approvals]");
      // Locators, not element handles: the tab is drawn anew with each status poll.
      const row = page.locator(`#requests tr[data-request="${rid}"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.textContent()).toContain(`touch ${target}`);
      await screenshot(page, "web-clawsudo-request");
      await row.locator("button.approve").click();
      const r = await done;
      expect(r.code).toBe(0);
      expect(statSync(target).uid).toBe(0);
      await waitChainAlert("the web approval", (a) => a.rule === "clawsudo-approved" && a.event.gate?.request_id === rid);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("gives up with exit 78 when nobody answers in time", async () => {
    const target = join(work, "never-made");
    const { id, done } = clawsudoAsking(["touch", target]);
    const rid = await id;
    const r = await done;
    expect(r.code).toBe(78);
    expect(existsSync(target)).toBe(false);
    await waitChainAlert("the timeout alert", (a) => a.rule === "clawsudo-timeout" && a.event.gate?.request_id === rid);
    const late = await runCli(["approve", rid, "--config", cfg]);
    expect(late.code).not.toBe(0);
    expect(late.stderr).toContain("expired");
  }, 60_000);

  it("denies everything while a policy file is one a non-root user could edit", async () => {
    const f = join(dir, "policies", "clawsudo-test.yaml");
    chmodSync(f, 0o666);
    try {
      const r = await clawsudo(["id", "-u"]);
      expect(r.code).toBe(77);
      expect(r.stderr).toContain(`${f}: not trusted: ${f} is writable by everyone`);
    } finally {
      chmodSync(f, 0o644);
    }
    expect((await clawsudo(["id", "-u"])).code).toBe(0);
  });

  it("fails closed with 77 when the daemon is gone, and the chain of decisions verifies", async () => {
    await daemon.stop();
    const r = await clawsudo(["id", "-u"]);
    expect(r.code).toBe(77);
    expect(r.stderr).toContain("unreachable");
    expect(r.stdout).toBe("");
    const v = await runCli(["verify-audit", join(dir, "state", "audit.chain")]);
    expect(v.stdout).toMatch(/^OK: \d+ entries/);
    const chain = readFileSync(join(dir, "state", "audit.chain"), "utf8");
    for (const rule of ["clawsudo-allow", "clawsudo-deny", "clawsudo-ask", "clawsudo-approved", "clawsudo-run", "clawsudo-timeout"]) expect(chain, rule).toContain(`"rule":"${rule}"`);
  });
});
