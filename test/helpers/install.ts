import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { untrustedReason } from "../../src/gate/index.js";
import { PACKAGE_ROOT } from "../../src/version.js";

/**
 * A copy of clawav that root can hand to sudo: clawsudo refuses to run as root from files a
 * non-root user could change, and a checkout under /tmp (as CI clones) is such a place. Outside
 * one, the checkout itself is used.
 */
export function trustedInstall(): { root: string; cleanup(): void } {
  const here = [join(PACKAGE_ROOT, "dist", "cli", "clawsudo.js"), join(PACKAGE_ROOT, "node_modules"), join(PACKAGE_ROOT, "package.json")];
  if (here.every((p) => untrustedReason(p) === undefined)) return { root: PACKAGE_ROOT, cleanup: () => undefined };
  mkdirSync("/opt", { recursive: true, mode: 0o755 });
  const root = mkdtempSync("/opt/clawav-test-");
  chmodSync(root, 0o755);
  for (const p of ["dist", "package.json", "policies"]) cpSync(join(PACKAGE_ROOT, p), join(root, p), { recursive: true });
  // Only what runs: the production dependencies.
  const ls = spawnSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: PACKAGE_ROOT, encoding: "utf8" });
  for (const line of ls.stdout.split("\n")) {
    if (!line.startsWith(`${PACKAGE_ROOT}/node_modules/`)) continue;
    cpSync(line, join(root, line.slice(PACKAGE_ROOT.length + 1)), { recursive: true });
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
