import { readdirSync } from "node:fs";
import type { Event, EventIdGenerator } from "../../events/index.js";
import type { UserNames } from "../../enrich/index.js";
import type { Source, SourceStatus } from "../../events/index.js";
import { readProc, type ProcSnapshot } from "./read.js";

export interface ProcfsSourceOptions {
  nodeId: string;
  ids: EventIdGenerator;
  users: UserNames;
  intervalMs: number;
  /** Why this fallback runs instead of auditd; shown in status. */
  reason: string;
  root?: string;
}

/**
 * The fallback when auditd cannot be used: polls /proc and emits an exec event for every new
 * process. Lower fidelity, and says so: a process that lives less than one interval is missed,
 * and nothing is seen of files or connections.
 */
export class ProcfsSource implements Source {
  readonly name = "procfs";
  private seen = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private events = 0;
  private scans = 0;
  private state: SourceStatus["state"] = "starting";

  constructor(private readonly o: ProcfsSourceOptions) {}

  start(emit: (e: Event) => void): Promise<void> {
    this.scan(undefined); // the processes already running are the baseline, not new
    this.timer = setInterval(() => this.scan(emit), this.o.intervalMs);
    this.timer.unref();
    this.state = "running";
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.state = "stopped";
    return Promise.resolve();
  }

  status(): SourceStatus {
    return { name: this.name, state: this.state, detail: `fallback: ${this.o.reason}; polls /proc every ${this.o.intervalMs} ms (short-lived processes can be missed)`, events: this.events, parse_errors: 0, drops: 0, fidelity: "poll" };
  }

  /** One pass over /proc; emits events for processes not seen before (by pid and start time). */
  scan(emit: ((e: Event) => void) | undefined): void {
    this.scans++;
    let names: string[];
    try {
      names = readdirSync(this.o.root ?? "/proc");
    } catch {
      this.state = "down";
      return;
    }
    const now = new Map<number, number>();
    for (const n of names) {
      const c = n.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(n);
      if (pid === process.pid) continue;
      const known = this.seen.get(pid);
      if (known !== undefined) {
        now.set(pid, known);
        continue;
      }
      const p = readProc(pid, this.o.root);
      if (!p) continue;
      now.set(pid, p.starttime);
      if (emit && p.exe !== "") {
        this.events++;
        emit(this.toEvent(p));
      }
    }
    this.seen = now;
  }

  private toEvent(p: ProcSnapshot): Event {
    const user = this.o.users.name(p.uid);
    return {
      id: this.o.ids.take(),
      ts: Date.now(),
      source: this.name,
      kind: "exec",
      node_id: this.o.nodeId,
      fidelity: "poll",
      process: {
        pid: p.pid, ppid: p.ppid, uid: p.uid, auid: null, euid: p.euid, gid: p.gid, exe: p.exe, comm: p.comm, argv: p.argv,
        ...(p.cwd !== undefined ? { cwd: p.cwd } : {}),
        ...(user !== undefined ? { user } : {}),
      },
    };
  }
}
