// A log other software writes (Falco's JSON output, Samhain's log, rsyslog's auth.log and
// syslog), followed from its end as auditd's log is (rotation, truncation, partial lines): each
// line the parser takes is one event; what it does not take is counted, and for a tool's own
// findings log raised, since lines that are not the tool's mean someone else writes there.
import type { Event, EventIdGenerator, Fidelity, Source, SourceStatus } from "../../events/index.js";
import { LogTailer, type Line } from "../auditd/index.js";

export type LineParse = { ok: true; event: Event } | { ok: false; error: string } | { skip: true };

export interface LogFileOptions {
  /** The source's name in /api/status. */
  name: "falco" | "samhain" | "syslog";
  paths: readonly string[];
  nodeId: string;
  ids: EventIdGenerator;
  fidelity: Fidelity;
  parse: (line: string, ctx: { id: () => string; nodeId: string; now: number; file: string }) => LineParse;
  /** The sensor condition raised for lines the parser refuses; none: they are only counted. */
  badLines?: string;
}

export class LogFileSource implements Source {
  readonly name: string;
  private tailers: LogTailer[] = [];
  private emit: ((e: Event) => void) | undefined;
  private events = 0;
  private errors = 0;
  private lastError: string | undefined;
  private saidErrors = 0;
  private saidAt = 0;

  constructor(private readonly o: LogFileOptions) {
    this.name = o.name;
  }

  start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    // From the end: what was written before was delivered by whatever read it then.
    for (const path of this.o.paths) {
      const t = new LogTailer({ path, start: "end", onLines: (lines) => this.onLines(path, lines), pollMs: 200 });
      t.start();
      this.tailers.push(t);
    }
    return Promise.resolve();
  }

  stop(): Promise<void> {
    for (const t of this.tailers) t.stop();
    return Promise.resolve();
  }

  private onLines(file: string, lines: Line[]): void {
    const ctx = { id: () => this.o.ids.take(), nodeId: this.o.nodeId, now: Date.now(), file };
    for (const line of lines) {
      if (typeof line !== "string") {
        this.errors++;
        this.lastError = `${file}: a line of ${line.bytes} bytes`;
        continue;
      }
      if (line.trim() === "") continue;
      const r = this.o.parse(line, ctx);
      if ("skip" in r) continue;
      if (r.ok) {
        this.events++;
        this.emit?.(r.event);
      } else {
        this.errors++;
        this.lastError = `${file}: ${r.error}`;
      }
    }
    // Said at once, then at most once a minute with the count since.
    if (this.o.badLines !== undefined && this.errors > this.saidErrors && Date.now() - this.saidAt >= 60_000) {
      this.emit?.({ id: this.o.ids.take(), ts: Date.now(), source: this.o.name, kind: "sensor", node_id: this.o.nodeId, fidelity: "userspace", sensor: { condition: this.o.badLines, detail: `${this.errors - this.saidErrors} line(s) that are not ${this.o.name}'s (last: ${this.lastError ?? "?"})` } });
      this.saidErrors = this.errors;
      this.saidAt = Date.now();
    }
  }

  status(): SourceStatus {
    return {
      name: this.name,
      state: this.tailers.length > 0 ? "running" : "starting",
      detail: `${this.o.paths.join(", ")}${this.lastError !== undefined ? `; last bad line: ${this.lastError}` : ""}`,
      events: this.events,
      parse_errors: this.errors,
      drops: 0,
      fidelity: this.o.fidelity,
    };
  }
}
