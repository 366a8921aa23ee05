// The log another security tool writes its findings to (Falco's JSON output, Samhain's log),
// followed as auditd's log is (rotation, truncation, partial lines): each finding one external
// event, judged by that tool and carried to clawav's alerts; what is not a finding is counted.
import type { Event, EventIdGenerator, Source, SourceStatus } from "../../events/index.js";
import { LogTailer, type Line } from "../auditd/index.js";

export type FindingParse = { ok: true; event: Event } | { ok: false; error: string } | { skip: true };

export interface FindingsLogOptions {
  /** The source's name in /api/status and on its events. */
  name: "falco" | "samhain";
  path: string;
  nodeId: string;
  ids: EventIdGenerator;
  parse: (line: string, ctx: { id: () => string; nodeId: string; now: number }) => FindingParse;
  /** The sensor condition raised for lines that are not the tool's. */
  badLines: string;
}

export class FindingsLogSource implements Source {
  readonly name: string;
  private tailer: LogTailer | undefined;
  private emit: ((e: Event) => void) | undefined;
  private events = 0;
  private errors = 0;
  private lastError: string | undefined;
  private saidErrors = 0;
  private saidAt = 0;

  constructor(private readonly o: FindingsLogOptions) {
    this.name = o.name;
  }

  start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    // From the end: the tool's earlier findings were delivered by whatever read them then.
    this.tailer = new LogTailer({ path: this.o.path, start: "end", onLines: (lines) => this.onLines(lines), pollMs: 200 });
    this.tailer.start();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.tailer?.stop();
    return Promise.resolve();
  }

  private push(e: Event): void {
    this.events++;
    this.emit?.(e);
  }

  private onLines(lines: Line[]): void {
    const ctx = { id: () => this.o.ids.take(), nodeId: this.o.nodeId, now: Date.now() };
    for (const line of lines) {
      if (typeof line !== "string") {
        this.errors++;
        this.lastError = `a line of ${line.bytes} bytes, longer than any finding`;
        continue;
      }
      if (line.trim() === "") continue;
      const r = this.o.parse(line, ctx);
      if ("skip" in r) continue;
      if (r.ok) this.push(r.event);
      else {
        this.errors++;
        this.lastError = r.error;
      }
    }
    // Lines that are not the tool's findings mean its output is misconfigured or written by
    // someone else: said at once, then at most once a minute with the count since.
    if (this.errors > this.saidErrors && Date.now() - this.saidAt >= 60_000) {
      this.emit?.({ id: this.o.ids.take(), ts: Date.now(), source: this.o.name, kind: "sensor", node_id: this.o.nodeId, fidelity: "userspace", sensor: { condition: this.o.badLines, detail: `${this.errors - this.saidErrors} line(s) in ${this.o.path} that are not ${this.o.name}'s (last: ${this.lastError ?? "?"})` } });
      this.saidErrors = this.errors;
      this.saidAt = Date.now();
    }
  }

  status(): SourceStatus {
    return {
      name: this.name,
      state: this.tailer ? "running" : "starting",
      ...(this.lastError !== undefined ? { detail: `last bad line: ${this.lastError}` } : {}),
      events: this.events,
      parse_errors: this.errors,
      drops: 0,
      fidelity: this.o.name === "falco" ? "kernel" : "poll",
    };
  }
}
