// Falco's JSON output file, followed as auditd's log is (rotation, truncation, partial lines):
// each line Falco wrote is one external event, judged by Falco and carried to clawav's alerts.
import type { Event, EventIdGenerator, Source, SourceStatus } from "../../events/index.js";
import { LogTailer, type Line } from "../auditd/index.js";
import { parseFalcoLine } from "./parse.js";

export interface FalcoSourceOptions {
  path: string;
  nodeId: string;
  ids: EventIdGenerator;
}

export class FalcoSource implements Source {
  readonly name = "falco";
  private tailer: LogTailer | undefined;
  private emit: ((e: Event) => void) | undefined;
  private events = 0;
  private errors = 0;
  private lastError: string | undefined;
  private saidErrors = 0;
  private saidAt = 0;

  constructor(private readonly o: FalcoSourceOptions) {}

  start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    // From the end: Falco's earlier findings were delivered by whatever read them then.
    this.tailer = new LogTailer({ path: this.o.path, start: "end", onLines: (lines) => this.onLines(lines), pollMs: 200 });
    this.tailer.start();
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.tailer?.stop();
    return Promise.resolve();
  }

  private onLines(lines: Line[]): void {
    for (const line of lines) {
      if (typeof line !== "string") {
        this.errors++;
        this.lastError = `a line of ${line.bytes} bytes, longer than a Falco alert`;
        continue;
      }
      if (line.trim() === "") continue;
      const r = parseFalcoLine(line, { id: this.o.ids.take(), nodeId: this.o.nodeId, now: Date.now() });
      if (r.ok) {
        this.events++;
        this.emit?.(r.event);
      } else {
        this.errors++;
        this.lastError = r.error;
      }
    }
    // Lines that are not Falco's alerts mean its output is misconfigured or written by someone else:
    // said at once, then at most once a minute with the count since.
    if (this.errors > this.saidErrors && Date.now() - this.saidAt >= 60_000) {
      this.emit?.({ id: this.o.ids.take(), ts: Date.now(), source: "falco", kind: "sensor", node_id: this.o.nodeId, fidelity: "userspace", sensor: { condition: "falco_bad_lines", detail: `${this.errors - this.saidErrors} line(s) in ${this.o.path} that are not Falco JSON alerts (last: ${this.lastError ?? "?"})` } });
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
      fidelity: "kernel",
    };
  }
}
