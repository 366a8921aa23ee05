// The systemd journal, followed by journalctl: every entry one `log` event, on machines where
// journald alone keeps the system's log (no rsyslog, no auth.log). journalctl is supervised:
// when it dies it is said as a sensor event and restarted with backoff after the last entry read,
// and the last judged entry's cursor is kept in a file, so a restart of clawav itself resumes
// right after it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Event, EventIdGenerator, Source, SourceState, SourceStatus } from "../../events/index.js";
import { parseJournalLine } from "./parse.js";

export interface JournaldOptions {
  /** The journalctl binary (an absolute path: it runs as root, never looked up in PATH). */
  journalctl: string;
  nodeId: string;
  ids: EventIdGenerator;
  /** Where the last judged entry's cursor is kept; none: each start begins at the journal's end. */
  cursorFile?: string;
  /** First restart delay after journalctl dies (doubles up to a minute). */
  backoffMs?: number;
}

const MAX_BACKOFF_MS = 60_000;
/** Running this long means the last death was not a crash loop: the next waits the first delay. */
const GOOD_RUN_MS = 60_000;
/** Non-forced commits write at most this often: the daemon commits each time its queue empties. */
const COMMIT_EVERY_MS = 200;
// journald's cursors are `s=…;i=…;b=…;m=…;t=…;x=…`; anything else in the file is not ours, and
// handing it to journalctl would fail every restart.
const CURSOR = /^[a-z]=[0-9a-f]+(?:;[a-z]=[0-9a-f]+)*$/;

export class JournaldSource implements Source {
  readonly name = "journald";
  private emit: ((e: Event) => void) | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private state: SourceState = "starting";
  private why: string | undefined;
  private stopping = false;
  private events = 0;
  private parseErrors = 0;
  private lastError: string | undefined;
  private restarts = 0;
  private readonly firstBackoff: number;
  private backoff: number;
  private timer: NodeJS.Timeout | undefined;
  private spawnedAt = 0;
  private startedAt = 0;
  private stderr = "";
  /** The cursor of the last entry read (emitted or refused). */
  private cursor: string | undefined;
  /** The cursor the file holds. */
  private saved: string | undefined;
  private savedAt = 0;
  private saveTimer: NodeJS.Timeout | undefined;
  private saveError: string | undefined;

  constructor(private readonly o: JournaldOptions) {
    this.firstBackoff = o.backoffMs ?? 1000;
    this.backoff = this.firstBackoff;
  }

  /** The running journalctl's pid (tests kill it to see the restart). */
  get childPid(): number | undefined {
    return this.child?.pid;
  }

  async start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    this.stopping = false;
    this.startedAt = Date.now();
    if (this.o.cursorFile !== undefined) {
      this.saved = loadCursor(this.o.cursorFile);
      this.cursor = this.saved;
    }
    if (this.cursor === undefined) {
      // The end of the journal as a cursor rather than `--lines=0`: journalctl finds the end only
      // once it has opened the journal, and an entry written before that would be neither before
      // nor after where this source began. Once start() returns every later entry is delivered,
      // and a crash before the first commit resumes here.
      this.cursor = await tailCursor(this.o.journalctl);
      this.commit(true);
    }
    if (this.stopping) return;
    this.spawnOnce();
  }

  private args(): string[] {
    const args = ["--follow", "--output=json", "--no-pager", "--all"];
    if (this.cursor !== undefined) args.push(`--after-cursor=${this.cursor}`);
    // No entry read yet and no end found at start (an empty journal, or journalctl failed to
    // say): on a restart, what came since this source started; at start, the end.
    else if (this.restarts > 0) args.push(`--since=@${Math.floor(this.startedAt / 1000)}`);
    else args.push("--lines=0");
    return args;
  }

  private spawnOnce(): void {
    this.stderr = "";
    this.spawnedAt = Date.now();
    const child = spawn(this.o.journalctl, this.args(), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let ended = false;
    this.exited = new Promise<void>((resolve) => {
      const end = (why: string) => {
        if (ended) return;
        ended = true;
        resolve();
        this.ended(why);
      };
      child.on("error", (err) => end(`journalctl could not start: ${err.message}`));
      // `close`, not `exit`: every line journalctl wrote has been read by then.
      child.on("close", (code, signal) => {
        const err = lastLine(this.stderr);
        end(`journalctl exited (${signal ?? `code ${code}`})${err !== "" ? `: ${err}` : ""}`);
      });
    });
    child.on("spawn", () => {
      if (!this.stopping) {
        this.state = "running";
        this.why = undefined;
      }
    });
    child.stderr?.on("data", (b: Buffer) => {
      this.stderr = (this.stderr + b.toString("utf8")).slice(-4096);
    });
    if (child.stdout) createInterface({ input: child.stdout, crlfDelay: Infinity }).on("line", (line) => this.onLine(line));
  }

  private onLine(line: string): void {
    const r = parseJournalLine(line, { id: () => this.o.ids.take(), nodeId: this.o.nodeId });
    if (r.ok) {
      this.events++;
      this.emit?.(r.event);
    } else {
      this.parseErrors++;
      this.lastError = r.error;
    }
    // Only after the entry is emitted: a commit may now move past it.
    if (r.cursor !== undefined) this.cursor = r.cursor;
  }

  private ended(why: string): void {
    this.child = undefined;
    if (this.stopping) {
      this.state = "stopped";
      return;
    }
    // A cursor journalctl refuses would fail every restart: the end is the next best place, and
    // the sensor event says what was skipped.
    let note = "";
    if (/seek to cursor/i.test(why) && this.cursor !== undefined) {
      note = ` (cursor ${this.cursor} refused: entries since it are skipped)`;
      this.cursor = undefined;
    }
    this.state = "down";
    this.why = why + note;
    this.emit?.({ id: this.o.ids.take(), ts: Date.now(), source: this.name, kind: "sensor", node_id: this.o.nodeId, fidelity: "userspace", sensor: { condition: "source_down:journald", detail: `${this.why}; restarting` } });
    if (Date.now() - this.spawnedAt >= GOOD_RUN_MS) this.backoff = this.firstBackoff;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopping) return;
      this.restarts++;
      if (this.cursor === undefined && note !== "") {
        void tailCursor(this.o.journalctl).then((c) => {
          this.cursor = c;
          if (!this.stopping) this.spawnOnce();
        });
      } else this.spawnOnce();
    }, wait);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const kill = setTimeout(() => c.kill("SIGKILL"), 2000);
      kill.unref();
      c.kill("SIGTERM");
      await this.exited;
      clearTimeout(kill);
    } else await this.exited;
    this.state = "stopped";
  }

  commit(force: boolean): void {
    if (this.o.cursorFile === undefined) return;
    const at = this.cursor;
    if (at === undefined || at === this.saved) return;
    const wait = this.savedAt + COMMIT_EVERY_MS - Date.now();
    if (!force && wait > 0) {
      // Written a little later rather than not at all: an idle journal may bring no next commit.
      // `at` is judged now, whatever is read meanwhile.
      if (this.saveTimer) clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => this.save(at), wait);
      this.saveTimer.unref();
      return;
    }
    this.save(at);
  }

  private save(at: string): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.o.cursorFile === undefined || at === this.saved) return;
    try {
      saveCursor(this.o.cursorFile, at);
      this.saved = at;
      this.savedAt = Date.now();
      this.saveError = undefined;
    } catch (e) {
      this.saveError = `cannot save the cursor to ${this.o.cursorFile}: ${(e as Error).message}`;
    }
  }

  status(): SourceStatus {
    const parts: string[] = [];
    if (this.why !== undefined) parts.push(this.why);
    else if (this.state === "running") parts.push(`following the journal with ${this.o.journalctl}`);
    if (this.saveError !== undefined) parts.push(this.saveError);
    if (this.lastError !== undefined) parts.push(`last bad line: ${this.lastError}`);
    return { name: this.name, state: this.state, ...(parts.length > 0 ? { detail: parts.join("; ") } : {}), events: this.events, parse_errors: this.parseErrors, drops: 0, fidelity: "userspace" };
  }

  details(): Record<string, unknown> {
    return { restarts: this.restarts, cursor_saved: this.saved !== undefined };
  }
}

/** The cursor of the journal's last entry; undefined when it is empty or journalctl cannot say. */
function tailCursor(journalctl: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(journalctl, ["--no-pager", "--quiet", "--show-cursor", "--lines=0"], { timeout: 10_000, maxBuffer: 64 * 1024 }, (err, stdout) => {
      if (err) return resolve(undefined);
      const c = /^-- cursor: (\S+)$/m.exec(stdout)?.[1];
      resolve(c !== undefined && CURSOR.test(c) ? c : undefined);
    });
  });
}

/** A saved cursor; undefined when there is none or the file holds something else. */
export function loadCursor(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
  return CURSOR.test(text) ? text : undefined;
}

/** Atomically (temp file, fsync, rename), mode 0600, so a crash leaves the old or the new cursor. */
function saveCursor(file: string, cursor: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    // A temp file left by an earlier run keeps its mode through open(): set it.
    fchmodSync(fd, 0o600);
    writeSync(fd, `${cursor}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

function lastLine(s: string): string {
  const lines = s.trim().split("\n");
  return (lines[lines.length - 1] ?? "").trim().slice(0, 300);
}
