import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from "node:fs";
import type { Cursor } from "./cursor.js";
import { LineSplitter, type Line } from "./lines.js";

export interface TailStats {
  bytes: number;
  lines: number;
  rotations: number;
  truncations: number;
  /** The saved cursor's file was no longer found (rotated past num_logs): reading restarted. */
  cursorLost: number;
}

export interface TailOptions {
  path: string;
  /** Resume here; "end" (first start) begins at the end of the current file. */
  start: Cursor | "end" | "beginning";
  /** Called with each batch of complete lines and the cursor just after the last of them. */
  onLines: (lines: Line[], after: Cursor) => void;
  pollMs?: number;
  /** Rotated generations to look through for a saved cursor's inode (auditd's num_logs). */
  maxRotated?: number;
  chunkSize?: number;
}

interface Open {
  fd: number;
  inode: number;
  offset: number;
  lines: LineSplitter;
}

/**
 * Follows auditd's log across rotation (rename to .1, new file), truncation, and a late write
 * to the file just rotated, delivering only complete lines. fs.watch wakes it at once; a short
 * poll is the safety net, since inotify can miss events on some filesystems.
 */
export class LogTailer {
  readonly stats: TailStats = { bytes: 0, lines: 0, rotations: 0, truncations: 0, cursorLost: 0 };
  private cur: Open | undefined;
  /** The file just rotated away, kept open a while for writes that land after the rename. */
  private old: { file: Open; until: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private readonly buf: Buffer;
  private stopped = false;
  lastError: string | undefined;
  /** Where reading began (before the first lines were read): the cursor to keep until they are judged. */
  startedAt: Cursor | undefined;

  constructor(private readonly opts: TailOptions) {
    this.buf = Buffer.allocUnsafe(opts.chunkSize ?? 1 << 20);
  }

  /** Opens the log at the start position and reads what is there (catching up after a restart). */
  start(): void {
    const { start } = this.opts;
    if (start !== "end" && start !== "beginning") this.resume(start);
    else {
      this.cur = this.openPath(this.opts.path);
      if (this.cur && start === "end") this.cur.offset = fstatSync(this.cur.fd).size;
    }
    this.startedAt = start !== "end" && start !== "beginning" ? start : this.position();
    this.poll();
    try {
      this.watcher = watch(this.opts.path, { persistent: false }, () => this.poll());
      this.watcher.on("error", () => { this.watcher = undefined; });
    } catch {
      // no inotify: the poll alone does the work
    }
    this.timer = setInterval(() => this.poll(), this.opts.pollMs ?? 100);
    this.timer.unref();
  }

  /** Reads everything written so far, then stops. */
  stop(): void {
    if (this.stopped) return;
    this.poll();
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    if (this.old) closeSync(this.old.file.fd);
    if (this.cur) closeSync(this.cur.fd);
    this.old = undefined;
  }

  position(): Cursor | undefined {
    return this.cur ? { inode: this.cur.inode, offset: this.cur.offset - this.cur.lines.pendingBytes } : undefined;
  }

  /** One step: drain the old file, check rotation and truncation, read new lines. */
  poll(): void {
    if (this.stopped) return;
    try {
      if (this.old) {
        this.drain(this.old.file);
        if (Date.now() > this.old.until) {
          closeSync(this.old.file.fd);
          this.old = undefined;
        }
      }
      if (!this.cur) {
        this.cur = this.openPath(this.opts.path);
        if (!this.cur) return;
      }
      this.drain(this.cur);
      const inode = inodeOf(this.opts.path);
      if (inode !== undefined && inode !== this.cur.inode) {
        // Rotated: finish the old file (it may still get a late write), then follow the new one.
        this.stats.rotations++;
        if (this.old) closeSync(this.old.file.fd);
        this.flushPartial(this.cur);
        this.old = { file: this.cur, until: Date.now() + 2000 };
        this.cur = this.openPath(this.opts.path);
        if (this.cur) this.drain(this.cur);
      }
      this.lastError = undefined;
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
    }
  }

  private resume(c: Cursor): void {
    // Find the cursor's file among audit.log, audit.log.1, ...: read the rest of it and of every
    // newer generation, oldest first, then follow audit.log.
    const max = this.opts.maxRotated ?? 99;
    const names = [this.opts.path];
    for (let i = 1; i <= max; i++) names.push(`${this.opts.path}.${i}`);
    const idx = names.findIndex((n) => inodeOf(n) === c.inode);
    if (idx < 0) {
      this.stats.cursorLost++;
      this.cur = this.openPath(this.opts.path);
      return;
    }
    for (let i = idx; i >= 1; i--) {
      const f = this.openPath(names[i]!);
      if (!f) continue;
      if (i === idx) f.offset = this.validOffset(f, c.offset);
      this.drain(f);
      this.flushPartial(f);
      closeSync(f.fd);
    }
    this.cur = this.openPath(this.opts.path);
    if (this.cur && idx === 0) this.cur.offset = this.validOffset(this.cur, c.offset);
  }

  private validOffset(f: Open, offset: number): number {
    if (fstatSync(f.fd).size >= offset) return offset;
    this.stats.truncations++;
    return 0;
  }

  private openPath(path: string): Open | undefined {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      this.lastError = `${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
      return undefined;
    }
    return { fd, inode: fstatSync(fd).ino, offset: 0, lines: new LineSplitter() };
  }

  private drain(f: Open): void {
    const size = fstatSync(f.fd).size;
    if (size < f.offset) {
      // Truncated in place: start over from the beginning of the file.
      this.stats.truncations++;
      f.offset = 0;
      f.lines = new LineSplitter();
    }
    for (;;) {
      const n = readSync(f.fd, this.buf, 0, this.buf.length, f.offset);
      if (n <= 0) return;
      f.offset += n;
      this.stats.bytes += n;
      const lines: Line[] = [];
      f.lines.push(this.buf.subarray(0, n), lines);
      if (lines.length === 0) continue;
      this.stats.lines += lines.length;
      this.opts.onLines(lines, { inode: f.inode, offset: f.offset - f.lines.pendingBytes });
    }
  }

  /** A rotated file's last line without a newline is still a line. */
  private flushPartial(f: Open): void {
    const rest: Line[] = [];
    f.lines.end(rest);
    if (rest.length > 0) {
      this.stats.lines++;
      this.opts.onLines(rest, { inode: f.inode, offset: f.offset });
    }
  }
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}
