import { appendFileSync, closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { createHash } from "node:crypto";
import { loadOrCreateKey } from "./key.js";
import { checkLine, checkpointMac, formatLine, GENESIS_PREV, type Checkpoint, type EntryBody } from "./format.js";

export interface ChainOptions {
  path: string;
  keyFile: string;
  checkpointFile: string;
  /** always: fsync every append; batch: at most every fsyncIntervalMs; never: leave it to the OS. */
  fsync: "always" | "batch" | "never";
  fsyncIntervalMs: number;
  checkpointEvery: number;
}

export interface OpenReport {
  entries: number;
  /** A torn last line (a crash mid-write) was cut off, kept aside, and the repair recorded. */
  repaired?: { bytes: number; sha256: string; movedTo: string };
  /** The tail did not verify: someone changed the chain while clawav was not looking. */
  tailProblem?: string;
}

const TAIL_WINDOW = 4 << 20;
/** Entries kept in memory while the disk refuses them (about 100 MB of alerts at most). */
const MAX_PENDING = 50_000;

/**
 * The append-only, keyed hash chain of every alert (and of enforcement and gate decisions).
 * One writer; appends are written in order before append() returns.
 */
export class AuditChain {
  private fd: number;
  private seq = 0;
  private head = GENESIS_PREV;
  private dirty = false;
  private sinceCheckpoint = 0;
  private timer: NodeJS.Timeout | undefined;
  private checkpoint: Checkpoint | undefined;
  private lastAlertEvent: { ts: number; serial?: number; source?: string } | undefined;
  /** "ts:serial" of every auditd event with an alert in the tail read at open. */
  private readonly alertedAudit = new Set<string>();
  readonly report: OpenReport;
  private closed = false;
  private size = 0;
  private pending: EntryBody[] = [];
  private pendingDropped = 0;
  private problem: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Told when writes begin to fail (once per episode) and when what waited has been written. */
  onWriteFailure: ((problem: string) => void) | undefined;
  onWriteRecovered: ((written: number, dropped: number) => void) | undefined;
  /** Told of every checkpoint, so that the alert channels can carry it (silence must be noticed). */
  onCheckpoint: ((cp: Checkpoint) => void) | undefined;

  private constructor(
    private readonly o: ChainOptions,
    private readonly key: Buffer,
  ) {
    this.fd = openSync(o.path, "a+", 0o600);
    this.report = this.recover();
    if (o.fsync === "batch") {
      this.timer = setInterval(() => this.sync(), o.fsyncIntervalMs);
      this.timer.unref();
    }
  }

  static open(o: ChainOptions): AuditChain {
    return new AuditChain(o, loadOrCreateKey(o.keyFile));
  }

  get length(): number {
    return this.seq;
  }

  headMac(): string {
    return this.head;
  }

  lastCheckpoint(): Checkpoint | undefined {
    return this.checkpoint;
  }

  /** The event of the last alert in the chain. */
  lastAlerted(): { ts: number; serial?: number; source?: string } | undefined {
    return this.lastAlertEvent;
  }

  /**
   * The auditd events ("ts:serial") the chain already holds alerts for, from the tail read at open:
   * after a crash the cursor lags, and a restart must not alert on them again. A set, not a
   * threshold: auditd writes events in the order they end, not the order of their serials.
   */
  alertedAuditEvents(): ReadonlySet<string> {
    return this.alertedAudit;
  }

  /** Entries waiting for the disk (it was full, or failed), in order, and how many did not fit. */
  get backlog(): { pending: number; dropped: number; problem?: string } {
    return { pending: this.pending.length, dropped: this.pendingDropped, ...(this.problem !== undefined ? { problem: this.problem } : {}) };
  }

  /**
   * Appends an entry. When the write fails (a full disk, an I/O error) nothing is lost: the partial
   * line is cut back, the entry waits in memory with every later one, in order, and a retry every
   * second writes them once the disk takes them again. onWriteFailure is told once per episode.
   */
  append(body: EntryBody): void {
    if (this.closed) throw new Error("audit chain is closed");
    if (this.pending.length > 0 || !this.write(body)) this.hold(body);
  }

  private write(body: EntryBody): boolean {
    const seq = this.seq + 1;
    const { line, mac } = formatLine(this.key, seq, this.head, body);
    const at = this.size;
    try {
      this.size += writeAll(this.fd, line + "\n");
    } catch (e) {
      // A line cut short would break the chain for every later entry: take it back.
      try {
        ftruncateSync(this.fd, at);
      } catch {
        // the next successful write starts after it; verify-audit will name the line
      }
      this.size = at;
      const problem = (e as NodeJS.ErrnoException).code ?? String(e);
      if (this.problem === undefined) this.onWriteFailure?.(`cannot write ${this.o.path}: ${problem}`);
      this.problem = problem;
      return false;
    }
    this.seq = seq;
    this.head = mac;
    this.dirty = true;
    if (body.type === "alert") this.noteAlert(body.alert);
    if (this.o.fsync === "always") this.trySync();
    if (++this.sinceCheckpoint >= this.o.checkpointEvery) this.tryCheckpoint();
    return true;
  }

  private hold(body: EntryBody): void {
    if (this.pending.length >= MAX_PENDING) this.pendingDropped++;
    else this.pending.push(body);
    if (!this.retryTimer) {
      this.retryTimer = setInterval(() => this.flushPending(), 1000);
      this.retryTimer.unref();
    }
  }

  /** Writes what waited, in order; stops at the first entry the disk still refuses. */
  flushPending(): void {
    let written = 0;
    while (this.pending.length > 0) {
      if (!this.write(this.pending[0]!)) return;
      this.pending.shift();
      written++;
    }
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = undefined;
    const dropped = this.pendingDropped;
    this.pendingDropped = 0;
    this.problem = undefined;
    // Said in the chain itself, so a gap in time between entries is explained where it is read.
    this.write({ ts: Date.now(), type: "write_resumed", data: { written_late: written, dropped } });
    this.onWriteRecovered?.(written, dropped);
  }

  private trySync(): void {
    try {
      this.sync();
    } catch (e) {
      this.problem ??= (e as NodeJS.ErrnoException).code ?? String(e);
    }
  }

  private tryCheckpoint(): void {
    try {
      this.writeCheckpoint();
    } catch {
      // The checkpoint file's disk is full too: the next append tries again.
    }
  }

  sync(): void {
    if (!this.dirty || this.closed) return;
    fsyncSync(this.fd);
    this.dirty = false;
  }

  writeCheckpoint(): Checkpoint | undefined {
    if (this.seq === 0) return undefined;
    this.sync();
    const ts = Date.now();
    const cp: Checkpoint = { seq: this.seq, head: this.head, ts, mac: checkpointMac(this.key, this.seq, this.head, ts) };
    appendFileSync(this.o.checkpointFile, JSON.stringify(cp) + "\n", { mode: 0o600 });
    const cfd = openSync(this.o.checkpointFile, "r");
    fsyncSync(cfd);
    closeSync(cfd);
    this.checkpoint = cp;
    this.sinceCheckpoint = 0;
    this.onCheckpoint?.(cp);
    return cp;
  }

  /** Closes the chain; returns how many waiting entries could still not be written (0 normally). */
  close(): number {
    if (this.closed) return 0;
    if (this.timer) clearInterval(this.timer);
    if (this.pending.length > 0) this.flushPending();
    if (this.retryTimer) clearInterval(this.retryTimer);
    if (this.sinceCheckpoint > 0) this.tryCheckpoint();
    this.trySync();
    closeSync(this.fd);
    this.closed = true;
    return this.pending.length + this.pendingDropped;
  }

  /** recovered: read from the tail at open, so a restart knows which auditd events it alerted on. */
  private noteAlert(alert: unknown, recovered = false): void {
    const ev = (alert as { event?: { ts?: unknown; serial?: unknown; source?: unknown } } | undefined)?.event;
    if (ev && typeof ev.ts === "number") {
      this.lastAlertEvent = { ts: ev.ts, ...(typeof ev.serial === "number" ? { serial: ev.serial } : {}), ...(typeof ev.source === "string" ? { source: ev.source } : {}) };
      if (recovered && ev.source === "auditd" && typeof ev.serial === "number") this.alertedAudit.add(`${ev.ts}:${ev.serial}`);
    }
  }

  /** Reads the tail: finds the head, cuts a torn last line, checks the last entries' links. */
  private recover(): OpenReport {
    const size = fstatSync(this.fd).size;
    if (size === 0) return { entries: 0 };
    const start = Math.max(0, size - TAIL_WINDOW);
    const buf = Buffer.alloc(size - start);
    readSync(this.fd, buf, 0, buf.length, start);
    const report: OpenReport = { entries: 0 };
    let end = buf.length;
    if (buf[end - 1] !== 0x0a) {
      const nl = buf.lastIndexOf(0x0a);
      const torn = buf.subarray(nl + 1);
      const movedTo = `${this.o.path}.torn`;
      appendFileSync(movedTo, torn, { mode: 0o600 });
      ftruncateSync(this.fd, start + nl + 1);
      end = nl + 1;
      report.repaired = { bytes: torn.length, sha256: createHash("sha256").update(torn).digest("hex"), movedTo };
    }
    const text = buf.subarray(0, end).toString("utf8");
    let lines = text.split("\n").filter((l) => l !== "");
    if (start > 0) lines = lines.slice(1); // the first line of the window may be cut
    let prevMac: string | undefined;
    let prevSeq: number | undefined;
    for (const line of lines) {
      const c = checkLine(this.key, line);
      if (!c.ok) {
        report.tailProblem ??= `entry after seq ${prevSeq ?? "?"}: ${c.reason}`;
        // Keep linking to what is there, so the damage stays visible to verify-audit.
        try {
          const e = JSON.parse(line) as { seq?: number; mac?: string };
          if (typeof e.seq === "number") prevSeq = e.seq;
          if (typeof e.mac === "string") prevMac = e.mac;
        } catch {
          // unparseable: the next good line re-anchors
        }
        continue;
      }
      const e = c.entry;
      if (prevMac !== undefined && e.prev !== prevMac) report.tailProblem ??= `seq ${e.seq}: broken link to the entry before it`;
      if (prevSeq !== undefined && e.seq !== prevSeq + 1) report.tailProblem ??= `seq ${e.seq}: sequence gap after ${prevSeq}`;
      prevMac = e.mac;
      prevSeq = e.seq;
      if (e.type === "alert") this.noteAlert(e.alert, true);
    }
    this.seq = prevSeq ?? 0;
    this.head = prevMac ?? GENESIS_PREV;
    this.size = fstatSync(this.fd).size;
    report.entries = this.seq;
    if (report.repaired) {
      this.append({ ts: Date.now(), type: "repair", data: { reason: "torn last line after a crash", removed_bytes: report.repaired.bytes, removed_sha256: report.repaired.sha256, moved_to: report.repaired.movedTo } });
    }
    return report;
  }
}

function writeAll(fd: number, text: string): number {
  const b = Buffer.from(text);
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
  return b.length;
}
