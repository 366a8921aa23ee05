// The immutable flag (chattr +i): not even root may write, rename or remove such a file until the
// flag is taken off, which takes CAP_LINUX_IMMUTABLE. Set through chattr (e2fsprogs): Node has no
// FS_IOC_SETFLAGS.
import { spawnSync } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";

/** Is the flag set on this path (undefined: the filesystem or lsattr cannot tell)? */
export function isImmutable(path: string): boolean | undefined {
  const r = spawnSync("lsattr", ["-d", path], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  const flags = r.stdout.trim().split(/\s+/)[0] ?? "";
  return flags.includes("i");
}

/** chattr [+-]i; an error says why (a filesystem without the flag, no CAP_LINUX_IMMUTABLE). */
export function setImmutable(path: string, on: boolean, recursive = false): { ok: true } | { ok: false; error: string } {
  const r = spawnSync("chattr", [...(recursive ? ["-R"] : []), on ? "+i" : "-i", path], { encoding: "utf8" });
  if (r.error) return { ok: false, error: `chattr: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, error: (r.stderr || `chattr exited ${r.status}`).trim().split("\n")[0]! };
  return { ok: true };
}

/**
 * Replaces a file's content through a temporary file and a rename; a file that was immutable has
 * the flag taken off for the swap and set again on the new file.
 */
export function replaceFile(file: string, text: string, mode: number): void {
  const wasImmutable = isImmutable(file) === true;
  if (wasImmutable) {
    const off = setImmutable(file, false);
    if (!off.ok) throw new Error(`${file} is immutable and the flag cannot be taken off: ${off.error}`);
  }
  const tmp = `${file}.clawav-new`;
  try {
    writeFileSync(tmp, text, { mode });
    renameSync(tmp, file);
  } finally {
    if (wasImmutable) setImmutable(file, true);
  }
}
