// The system's own log as rsyslog keeps it: auth.log (sshd, sudo, su, PAM) and syslog, each
// followed from its end across rotation and truncation, each line one `log` event. What the
// agent cannot hide from the kernel it may still leave here (a failed sudo, an ssh login).
import type { Event, EventIdGenerator, LogInfo, Source, SourceStatus } from "../../events/index.js";
import { LogTailer, type Line } from "../auditd/index.js";
import { parseSyslogLine } from "./parse.js";

export interface SyslogSourceOptions {
  files: { path: string; log: LogInfo["log"] }[];
  nodeId: string;
  ids: EventIdGenerator;
}

export class SyslogSource implements Source {
  readonly name = "syslog";
  private tailers: LogTailer[] = [];
  private emit: ((e: Event) => void) | undefined;
  private events = 0;
  private errors = 0;
  private lastError: string | undefined;

  constructor(private readonly o: SyslogSourceOptions) {}

  start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    for (const f of this.o.files) {
      const t = new LogTailer({ path: f.path, start: "end", onLines: (lines) => this.onLines(f, lines), pollMs: 250 });
      t.start();
      this.tailers.push(t);
    }
    return Promise.resolve();
  }

  stop(): Promise<void> {
    for (const t of this.tailers) t.stop();
    return Promise.resolve();
  }

  private onLines(f: SyslogSourceOptions["files"][number], lines: Line[]): void {
    for (const line of lines) {
      if (typeof line !== "string") {
        this.errors++;
        this.lastError = `${f.path}: a line of ${line.bytes} bytes`;
        continue;
      }
      if (line.trim() === "") continue;
      const r = parseSyslogLine(line, { id: () => this.o.ids.take(), nodeId: this.o.nodeId, now: Date.now(), file: f.path, log: f.log });
      if (r.ok) {
        this.events++;
        this.emit?.(r.event);
      } else {
        this.errors++;
        this.lastError = `${f.path}: ${r.error}`;
      }
    }
  }

  status(): SourceStatus {
    return {
      name: this.name,
      state: this.tailers.length > 0 ? "running" : "starting",
      detail: `${this.o.files.map((f) => f.path).join(", ")}${this.lastError !== undefined ? `; last bad line: ${this.lastError}` : ""}`,
      events: this.events,
      parse_errors: this.errors,
      drops: 0,
      fidelity: "userspace",
    };
  }
}
