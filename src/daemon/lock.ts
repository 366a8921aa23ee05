import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { UserError, EXIT } from "../errors/index.js";

/** Exit code of a second daemon on the same state folder (EX_TEMPFAIL: try again when the first is gone). */
export const ALREADY_RUNNING = EXIT.TEMPFAIL;

/** The kernel's start time of a process (clock ticks since boot): with the pid, it names one process. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/**
 * One daemon per state folder: two would append to one chain and each overwrite the other's
 * api.json, and the next start would take the interleaved chain for tampering. The lock file
 * holds the owner's pid and start time; one left by a daemon that was killed names a process
 * that no longer exists (or another process under a reused pid) and is taken over.
 */
export function lockStateDir(dir: string): () => void {
  const file = join(dir, "clawav.lock");
  const mine = `${process.pid} ${startTime(process.pid) ?? "?"}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, "wx", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const [pidText, started] = readFileSync(file, "utf8").trim().split(" ");
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && startTime(pid) === started) {
        throw new UserError(`another clawav (pid ${pid}) is running on the state folder ${dir}; stop it first, or give this one its own --state-dir`, ALREADY_RUNNING);
      }
      rmSync(file, { force: true });
      continue;
    }
    writeSync(fd, mine);
    closeSync(fd);
    return () => {
      try {
        if (readFileSync(file, "utf8") === mine) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    };
  }
  throw new UserError(`cannot take the lock ${file}: another clawav is starting on the same state folder`, ALREADY_RUNNING);
}
