import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { CLI, IS_ROOT, TEST_USER, commandExists } from "./system.js";

/**
 * The real parts the e2e tests use: auditd running, and an unprivileged user to act as the
 * agent. Only done when root; without root those tests skip and say why.
 */
export default function setup(): void {
  if (!IS_ROOT) return;
  if (spawnSync("getent", ["passwd", TEST_USER], { stdio: "ignore" }).status !== 0) {
    const r = spawnSync("useradd", ["--create-home", "--shell", "/bin/bash", TEST_USER], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`useradd ${TEST_USER} failed: ${r.stderr}`);
  }
  // The e2e tests run the built CLI as the test user: a checkout under a folder other users cannot
  // enter (a 0700 mktemp folder) would fail a dozen of them with "Cannot find module". Say so once.
  if (existsSync(CLI) && spawnSync("runuser", ["-u", TEST_USER, "--", "test", "-r", CLI], { stdio: "ignore" }).status !== 0) {
    let blocked: string | undefined;
    for (let d = dirname(CLI); d !== "/"; d = dirname(d)) if ((statSync(d).mode & 0o001) === 0) blocked = d;
    throw new Error(`the test user ${TEST_USER} cannot read ${CLI}${blocked ? `: ${blocked} is not searchable by other users (mode ${(statSync(blocked).mode & 0o777).toString(8)})` : ""}; put the checkout where other users can enter (or chmod o+x the folders above it), and run npm run build first`);
  }
  if (commandExists("auditctl") && spawnSync("pidof", ["auditd"], { stdio: "ignore" }).status !== 0) {
    const r = spawnSync("auditd", [], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`starting auditd failed: ${r.stderr}`);
    for (let i = 0; i < 50; i++) {
      if (spawnSync("auditctl", ["-s"], { encoding: "utf8" }).stdout.includes("pid")) break;
      spawnSync("sleep", ["0.1"]);
    }
  }
  // auditd enables the kernel's audit when it starts, and only then: one that was already running
  // when something switched it off (journald's Audit=no does, at its start) would leave every e2e
  // test blind. Say so, and switch it on.
  if (commandExists("auditctl") && /^enabled 0$/m.test(spawnSync("auditctl", ["-s"], { encoding: "utf8" }).stdout)) {
    console.warn("global-setup: the kernel's audit was switched off (enabled 0): auditctl -e 1");
    spawnSync("auditctl", ["-e", "1"], { stdio: "ignore" });
  }
  // The syslog source's tests read what the real rsyslog writes (auth.log, syslog).
  if (commandExists("rsyslogd") && spawnSync("pidof", ["rsyslogd"], { stdio: "ignore" }).status !== 0) {
    const r = spawnSync("rsyslogd", [], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`starting rsyslogd failed: ${r.stderr}`);
  }
}
