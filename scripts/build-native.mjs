// Builds the C parts (native/*/Makefile) with the system cc. Without a compiler the rest of
// clawav still works: say what is missing and which features it takes away, and exit 0.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const nativeDir = join(root, "native");
const cc = process.env.CC ?? "cc";
if (spawnSync(cc, ["--version"], { stdio: "ignore" }).status !== 0) {
  console.error(`build:native: no C compiler (${cc}); libclawguard.so and seccomp-run are not built. Install one (apt-get install gcc) and run npm run build:native.`);
  process.exit(0);
}
let failed = false;
for (const name of existsSync(nativeDir) ? readdirSync(nativeDir).sort() : []) {
  const dir = join(nativeDir, name);
  if (!existsSync(join(dir, "Makefile"))) continue;
  const r = spawnSync("make", ["-s", "-C", dir, `CC=${cc}`], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`build:native: ${name} failed to build`);
    failed = true;
  } else console.error(`build:native: ${name} built`);
}
process.exit(failed ? 1 : 0);
