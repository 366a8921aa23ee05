import { spawnSync } from "node:child_process";
import { IS_ROOT, TEST_USER, commandExists } from "./system.js";

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
  if (commandExists("auditctl") && spawnSync("pidof", ["auditd"], { stdio: "ignore" }).status !== 0) {
    const r = spawnSync("auditd", [], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`starting auditd failed: ${r.stderr}`);
    for (let i = 0; i < 50; i++) {
      if (spawnSync("auditctl", ["-s"], { encoding: "utf8" }).stdout.includes("pid")) break;
      spawnSync("sleep", ["0.1"]);
    }
  }
}
