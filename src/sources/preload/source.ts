import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { Event, EventIdGenerator } from "../../events/index.js";
import { LogTailer, type Line } from "../auditd/index.js";
import type { Source, SourceStatus } from "../../events/index.js";
import { parsePreloadLine } from "./parse.js";

export interface PreloadSourceOptions {
  path: string;
  nodeId: string;
  ids: EventIdGenerator;
  /** Root creates the log so that agents can append to it but never own, remove or replace it. */
  create: boolean;
}

/**
 * Follows libclawguard.so's log. The agent's processes write it, so it is evidence of what the
 * guard refused, not proof: a truncation (the agent hiding its tracks) is itself raised.
 */
export class PreloadSource implements Source {
  readonly name = "preload";
  private tailer: LogTailer | undefined;
  private emit: ((e: Event) => void) | undefined;
  private events = 0;
  private errors = 0;
  private lastError: string | undefined;
  private truncations = 0;
  private forgedSaid = 0;
  private forgedAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: PreloadSourceOptions) {}

  async start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    if (this.o.create) {
      mkdirSync(dirname(this.o.path), { recursive: true, mode: 0o755 });
      closeSync(openSync(this.o.path, "a", 0o622));
      // Append-only for everyone but root in practice: writable, in a directory only root can change.
      chmodSync(this.o.path, 0o622);
    }
    this.tailer = new LogTailer({ path: this.o.path, start: "end", onLines: (lines) => this.onLines(lines), pollMs: 200 });
    this.tailer.start();
    this.timer = setInterval(() => this.checkTruncation(), 1000);
    this.timer.unref();
    await Promise.resolve();
  }

  private checkTruncation(): void {
    const t = this.tailer;
    if (t && t.stats.truncations > this.truncations) {
      this.truncations = t.stats.truncations;
      this.emit?.(this.sensor("preload_log_truncated", `the preload log ${this.o.path} was truncated: denials written before may be gone`));
    }
  }

  private onLines(lines: Line[]): void {
    this.checkTruncation();
    for (const line of lines) {
      if (typeof line !== "string") {
        // The guard writes short lines; one this long was written by something else.
        this.errors++;
        this.lastError = `a line of ${line.bytes} bytes (the guard writes lines under 64 KiB)`;
        continue;
      }
      if (line.trim() === "") continue;
      const r = parsePreloadLine(line, { id: this.o.ids.take(), now: Date.now(), nodeId: this.o.nodeId });
      if (r.ok) {
        this.events++;
        this.emit?.(r.event);
      } else {
        this.errors++;
        this.lastError = r.error;
      }
    }
    // Agents can append to this log: lines the guard did not write are forgery or a flood meant to
    // bury real denials. Said at once, then at most once a minute with the count since.
    if (this.errors > this.forgedSaid && Date.now() - this.forgedAt >= 60_000) {
      this.emit?.(this.sensor("preload_log_forged", `${this.errors - this.forgedSaid} line(s) in ${this.o.path} that the guard did not write (last: ${this.lastError ?? "?"})`));
      this.forgedSaid = this.errors;
      this.forgedAt = Date.now();
    }
  }

  private sensor(condition: string, detail: string): Event {
    return { id: this.o.ids.take(), ts: Date.now(), source: "preload", kind: "sensor", node_id: this.o.nodeId, fidelity: "userspace", sensor: { condition, detail } };
  }

  async stop(): Promise<void> {
    this.tailer?.stop();
    if (this.timer) clearInterval(this.timer);
    await Promise.resolve();
  }

  status(): SourceStatus {
    return {
      name: this.name,
      state: this.tailer ? "running" : "starting",
      ...(this.lastError !== undefined ? { detail: `last bad line: ${this.lastError}` } : {}),
      events: this.events,
      parse_errors: this.errors,
      drops: 0,
      fidelity: "userspace",
    };
  }
}
