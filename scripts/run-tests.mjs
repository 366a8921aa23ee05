// Runs the whole vitest suite and ends with the line CI reads: `N passed, N failed, N skipped`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "clawav-vitest-"));
const out = join(dir, "results.json");
const args = ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)];
const res = spawnSync("npx", args, { stdio: "inherit" });
let passed = 0, failed = 0, skipped = 0;
try {
  const r = JSON.parse(readFileSync(out, "utf8"));
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // A file that failed to load, or whose set-up failed (its tests then show as skipped), has no
  // failed test to count; it is still a failure.
  for (const f of r.testResults ?? []) if (f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed")) failed++;
} catch (e) {
  console.error(`run-tests: no results from vitest (${e.message})`);
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(res.status === 0 && failed === 0 ? 0 : 1);
