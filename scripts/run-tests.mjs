// Runs the whole vitest suite and ends with the line CI reads: `N passed, N failed, N skipped`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "clawav-vitest-"));
const out = join(dir, "results.json");
const args = ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)];
const res = spawnSync("npx", args, { stdio: "inherit" });
let passed = 0, failed = 0, skipped = 0;
// CI shows only the end of what a run printed: what failed or skipped is listed here, one line
// each, just above the counts, so the end alone says where to look.
const listed = [];
const firstLine = (m) => String(m ?? "").replace(/\x1b\[[0-9;]*m/g, "").split("\n").find((l) => l.trim() !== "")?.trim().slice(0, 200) ?? "";
try {
  const r = JSON.parse(readFileSync(out, "utf8"));
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  for (const f of r.testResults ?? []) {
    const file = relative(process.cwd(), f.name);
    const tests = f.assertionResults ?? [];
    // A file that failed to load, or whose set-up failed (its tests then show as skipped), has no
    // failed test to count; it is still a failure.
    if (f.status === "failed" && !tests.some((a) => a.status === "failed")) {
      failed++;
      listed.push(`FAILED ${file} (the file or its set-up): ${firstLine(f.message)}`);
    }
    for (const a of tests) {
      if (a.status === "failed") listed.push(`FAILED ${file} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
      else if (a.status === "pending" || a.status === "skipped" || a.status === "todo") listed.push(`skipped ${file} > ${a.fullName}`);
    }
  }
} catch (e) {
  console.error(`run-tests: no results from vitest (${e.message})`);
  failed = Math.max(failed, 1);
}
rmSync(dir, { recursive: true, force: true });
if (listed.length > 0) console.log(`\n${listed.slice(0, 60).join("\n")}${listed.length > 60 ? `\n... and ${listed.length - 60} more` : ""}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(res.status === 0 && failed === 0 ? 0 : 1);
