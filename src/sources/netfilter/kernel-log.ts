// Where the netfilter sensor reads the kernel's log lines: /dev/kmsg (kmsg.ts), the journal
// (`journalctl --dmesg`, for machines where /dev/kmsg is not readable: a container, a lockdown),
// or a file rsyslog writes (kern.log). Each gives the sensor one kernel message at a time.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { LogTailer } from "../auditd/index.js";
import { KmsgReader } from "./kmsg.js";

export interface KernelLogReader {
  /** Starts reading from now on; throws when it cannot start at all. */
  start(): void;
  /** Reads what is there now (before a stop). */
  read(): void;
  stop(): void;
  readonly counts: { records: number; overrun: number; restarts: number };
  /** Where it reads, for /api/status. */
  readonly where: string;
}

export type KernelLogSpec = { kind: "kmsg"; path?: string } | { kind: "journald"; journalctl: string } | { kind: "file"; path: string };

export function kernelLogReader(spec: KernelLogSpec, onRecord: (message: string) => void, onError: (e: Error) => void, onRestart: (why: string) => void): KernelLogReader {
  if (spec.kind === "journald") return new JournalKernelReader(spec.journalctl, onRecord, onRestart);
  if (spec.kind === "file") return new FileKernelReader(spec.path, onRecord);
  const k = new KmsgReader(onRecord, spec.path !== undefined ? { path: spec.path } : {}, onError);
  const counts = { records: 0, overrun: 0, restarts: 0 };
  return {
    where: spec.path ?? "/dev/kmsg",
    get counts() {
      return { ...counts, records: k.counts.records, overrun: k.counts.overrun };
    },
    start: () => k.start(),
    read: () => k.read(true),
    stop: () => k.stop(),
  };
}

/**
 * `journalctl --dmesg --follow --output=cat`: one kernel message a line. journalctl is restarted
 * when it dies (1 s, doubling to a minute; back to 1 s after a minute of good running); each death
 * is said, since lines written while it was down are not read.
 */
class JournalKernelReader implements KernelLogReader {
  readonly counts = { records: 0, overrun: 0, restarts: 0 };
  readonly where: string;
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoff = 1000;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stderr = "";

  constructor(
    private readonly journalctl: string,
    private readonly onRecord: (message: string) => void,
    private readonly onRestart: (why: string) => void,
  ) {
    this.where = `the journal (${journalctl} --dmesg)`;
  }

  start(): void {
    this.stopping = false;
    this.spawn();
  }

  private spawn(): void {
    this.startedAt = Date.now();
    this.stderr = "";
    const child = spawn(this.journalctl, ["--dmesg", "--follow", "--output=cat", "--lines=0", "--no-pager", "--quiet"], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    createInterface({ input: child.stdout }).on("line", (line) => {
      this.counts.records++;
      this.onRecord(line);
    });
    child.stderr.on("data", (c: Buffer) => {
      this.stderr = (this.stderr + c.toString("utf8")).slice(-2000);
    });
    child.on("error", (e) => this.died(`cannot run ${this.journalctl}: ${e.message}`));
    child.on("exit", (code, signal) => this.died(`journalctl exited (${signal ?? `code ${code}`})${this.stderr.trim() ? `: ${this.stderr.trim().split("\n").pop()}` : ""}`));
  }

  private died(why: string): void {
    if (this.stopping || this.timer) return;
    this.child = undefined;
    if (Date.now() - this.startedAt > 60_000) this.backoff = 1000;
    this.counts.restarts++;
    this.onRestart(`${why}; restarting in ${this.backoff / 1000} s (kernel lines logged meanwhile are not read)`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopping) this.spawn();
    }, this.backoff);
    this.timer.unref();
    this.backoff = Math.min(this.backoff * 2, 60_000);
  }

  read(): void {
    // Lines come as journalctl prints them; nothing is held back to read now.
  }

  stop(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.child?.kill("SIGTERM");
  }

  /** The running journalctl's pid (tests kill it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
}

/** A file rsyslog writes the kernel's messages to, followed from its end across rotation. */
class FileKernelReader implements KernelLogReader {
  readonly counts = { records: 0, overrun: 0, restarts: 0 };
  readonly where: string;
  private tailer: LogTailer | undefined;

  constructor(
    private readonly path: string,
    private readonly onRecord: (message: string) => void,
  ) {
    this.where = path;
  }

  start(): void {
    this.tailer = new LogTailer({
      path: this.path,
      start: "end",
      pollMs: 100,
      onLines: (lines) => {
        for (const l of lines) {
          // A line over the reader's bound is no flow line of the kernel's (they are < 1 KiB): counted, skipped.
          if (typeof l !== "string") {
            this.counts.overrun++;
            continue;
          }
          this.counts.records++;
          this.onRecord(l);
        }
      },
    });
    this.tailer.start();
  }

  read(): void {
    // The tailer reads on its own timer.
  }

  stop(): void {
    this.tailer?.stop();
  }
}
