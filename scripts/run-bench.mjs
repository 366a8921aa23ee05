// Compiles bench/ and runs each benchmark in turn (or those named on the command line).
// Benchmarks print their figures next to the peer's from the same run; nothing is asserted.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const tsc = spawnSync("npx", ["tsc", "-p", join(root, "tsconfig.bench.json")], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const only = process.argv.slice(2);
const outDir = join(root, ".bench-build", "bench");
const benches = readdirSync(outDir).filter((f) => f.endsWith(".bench.js")).sort()
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
let failed = 0;
for (const b of benches) {
  console.log(`\n=== ${b.replace(/\.bench\.js$/, "")} ===`);
  const r = spawnSync(process.execPath, [join(outDir, b)], { stdio: "inherit", cwd: root });
  if (r.status !== 0) { failed++; console.error(`bench ${b} exited ${r.status}`); }
}
process.exit(failed ? 1 : 0);
