/**
 * Buffered stdout for NDJSON: one write per ~1 MB, waiting for drain, and a quiet exit when the
 * reader goes away (`| head`).
 */
export class StdoutBuffer {
  private parts: string[] = [];
  private size = 0;
  closed = false;

  constructor(private readonly limit = 1 << 20) {
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") this.closed = true;
      else throw e;
    });
  }

  /** Adds a line; returns a promise only when the buffer was flushed and stdout must drain. */
  line(s: string): Promise<void> | undefined {
    if (this.closed) return undefined;
    this.parts.push(s);
    this.size += s.length + 1;
    return this.size >= this.limit ? this.flush() : undefined;
  }

  flush(): Promise<void> | undefined {
    if (this.parts.length === 0 || this.closed) return undefined;
    const text = this.parts.join("\n") + "\n";
    this.parts = [];
    this.size = 0;
    if (process.stdout.write(text)) return undefined;
    return new Promise((r) => process.stdout.once("drain", r));
  }
}
