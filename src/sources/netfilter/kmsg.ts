// /dev/kmsg, read without blocking a thread: opened O_NONBLOCK, each read(2) returns one record
// (or EAGAIN when none is left), polled on a timer. What was in the ring before the reader
// started is skipped; records the ring overwrote before they were read (EPIPE) are counted.
import { closeSync, constants, openSync, readSync } from "node:fs";

const RECORD_MAX = 8192;

export interface KmsgCounts {
  records: number;
  /** Times the kernel said records were overwritten before they were read. */
  overrun: number;
}

export class KmsgReader {
  readonly counts: KmsgCounts = { records: 0, overrun: 0 };
  private fd: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly buf = Buffer.alloc(RECORD_MAX);

  constructor(
    private readonly onRecord: (message: string) => void,
    private readonly o: { path?: string; intervalMs?: number } = {},
    private readonly onError: (e: Error) => void = () => {},
  ) {}

  /** Opens the log and skips what it already holds; throws (with the errno) when it cannot. */
  start(): void {
    this.fd = openSync(this.o.path ?? "/dev/kmsg", constants.O_RDONLY | constants.O_NONBLOCK);
    this.read(false);
    this.timer = setInterval(() => {
      try {
        this.read(true);
      } catch (e) {
        this.stop();
        this.onError(e as Error);
      }
    }, this.o.intervalMs ?? 100);
    this.timer.unref();
  }

  /** Reads what is there now (the daemon calls it before it stops, too). */
  read(emit = true): void {
    if (this.fd === undefined) return;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, RECORD_MAX, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") return;
        if (code === "EPIPE") {
          this.counts.overrun++;
          continue;
        }
        throw e;
      }
      if (n === 0) return;
      if (!emit) continue;
      // "<prio>,<seq>,<usec>,<flags>[,...];<message>\n" then continuation lines (" KEY=value").
      const rec = this.buf.toString("utf8", 0, n);
      const semi = rec.indexOf(";");
      const nl = rec.indexOf("\n", semi + 1);
      this.counts.records++;
      this.onRecord(rec.slice(semi + 1, nl < 0 ? undefined : nl));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
