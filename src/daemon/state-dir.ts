import { mkdirSync, statSync, chmodSync } from "node:fs";
import { UserError } from "../errors/index.js";

/**
 * The state dir holds the cursor, the chain and its key, and the API token: 0700, owned by the
 * user clawav runs as. A state dir that others can write is refused, since whoever can write it
 * can replace the key or the cursor.
 */
export function ensureStateDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new UserError(`cannot create state dir ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)}); set general.state_dir to a folder clawav's user owns, or run as root`);
  }
  const st = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new UserError(`state dir ${dir} is owned by uid ${st.uid}, not by clawav's user (uid ${uid}); fix its owner or choose another general.state_dir`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}
