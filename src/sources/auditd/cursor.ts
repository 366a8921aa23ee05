import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";

/** Where the tailer stands: a file by inode, and the byte offset after the last line handed on. */
export interface Cursor {
  inode: number;
  offset: number;
}

/** Reads a saved cursor; undefined when there is none or it is not one of ours. */
export function loadCursor(file: string): Cursor | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as { inode?: unknown; offset?: unknown };
    if (Number.isSafeInteger(v.inode) && Number.isSafeInteger(v.offset) && (v.offset as number) >= 0) return { inode: v.inode as number, offset: v.offset as number };
  } catch {
    // a torn or foreign file: treated as no cursor, and overwritten on the next save
  }
  return undefined;
}

/** Saves atomically (temp file, fsync, rename), mode 0600, so a crash leaves the old or the new cursor. */
export function saveCursor(file: string, c: Cursor): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify({ inode: c.inode, offset: c.offset }) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
