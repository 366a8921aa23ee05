import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors/index.js";
import { PACKAGE_ROOT } from "../version.js";

/** The built launcher (npm run build:native), or a clear error saying how to build it. */
export function launcherPath(): string {
  const p = join(PACKAGE_ROOT, "native", "seccomp-run", "build", "seccomp-run");
  if (!existsSync(p)) throw new UserError(`the seccomp launcher is not built (${p}): run npm run build:native (needs a C compiler: apt-get install gcc)`);
  return p;
}
