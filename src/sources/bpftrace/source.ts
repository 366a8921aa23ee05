import type { Event, EventIdGenerator, Source, SourceStatus } from "../../events/index.js";
import { gaiProgram, parseGaiLine, parseHeartbeat } from "./gai.js";
import { BpftraceRunner } from "./runner.js";

export interface DnsAnswersOptions {
  bpftrace: string;
  libc: string;
  nodeId: string;
  ids: EventIdGenerator;
}

/**
 * getaddrinfo gives each address once per socket type: lines repeating a (pid, name, address)
 * seen this recently are the same answer.
 */
const REPEAT_MS = 1000;
/** Recent (pid, name, address) keys remembered, at most. */
const MAX_RECENT = 4096;
/**
 * bpftrace reads one buffer per CPU: an answer printed on one CPU just before a heartbeat on
 * another can come out just after it. What a heartbeat promises is taken this much short.
 */
const CPU_SKEW_MS = 10;

/**
 * Runs bpftrace with a uprobe on libc's getaddrinfo and emits a `dns` event for each answer a
 * process received: its name, its addresses, the pid, parent and uid that asked. Programs that
 * resolve without libc (static Go binaries, their own DNS clients) are not seen.
 */
export class DnsAnswersSource implements Source {
  readonly name = "dns-answers";
  private emit: ((e: Event) => void) | undefined;
  private state: SourceStatus["state"] = "starting";
  private events = 0;
  private parseErrors = 0;
  private detail: string | undefined;
  private readonly recent = new Map<string, number>();
  private readonly runner: BpftraceRunner;
  /** Wall-clock ms up to which every answer has been emitted (from the heartbeats). */
  private upTo: number | undefined;

  constructor(private readonly o: DnsAnswersOptions) {
    this.runner = new BpftraceRunner({
      bpftrace: o.bpftrace,
      program: gaiProgram(o.libc),
      // Its answers name connects auditd reports: the sooner they come, the less a connect waits.
      nice: -4,
      onLine: (l) => this.onLine(l),
      onAttached: () => {
        this.state = "running";
        this.detail = `getaddrinfo in ${this.o.libc}`;
      },
      onDown: (why) => this.fail(why),
    });
  }

  async start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    this.runner.start();
    await Promise.resolve();
  }

  private onLine(line: string): void {
    const hb = parseHeartbeat(line);
    if (hb !== undefined) {
      // bpftrace's nsecs and Node's hrtime are both CLOCK_MONOTONIC: how long ago, on the wall clock.
      const agoMs = Number(process.hrtime.bigint() - hb) / 1e6;
      this.upTo = Date.now() - Math.max(0, agoMs) - CPU_SKEW_MS;
      return;
    }
    const a = parseGaiLine(line);
    if (!a) {
      this.parseErrors++;
      return;
    }
    // Emitted at once, address by address: the connect that follows is on its way through auditd,
    // and the answer must be in the stream before it to name it.
    const now = Date.now();
    const key = `${a.pid}\u0000${a.name}\u0000${a.address}`;
    const seen = this.recent.get(key);
    if (seen !== undefined && now - seen < REPEAT_MS) return;
    this.recent.delete(key);
    this.recent.set(key, now);
    if (this.recent.size > MAX_RECENT) this.recent.delete(this.recent.keys().next().value!);
    this.events++;
    this.emit?.({
      id: this.o.ids.take(),
      ts: now,
      source: this.name,
      kind: "dns",
      node_id: this.o.nodeId,
      fidelity: "kernel",
      process: { pid: a.pid, ppid: a.ppid, uid: a.uid, auid: null, euid: a.uid, comm: a.comm, argv: [] },
      dns: { name: a.name, addresses: [a.address] },
    });
  }

  readUpTo(): number | undefined {
    return this.state === "running" ? this.upTo : undefined;
  }

  private fail(why: string): void {
    this.upTo = undefined;
    this.state = "down";
    this.detail = why;
    this.emit?.({ id: this.o.ids.take(), ts: Date.now(), source: this.name, kind: "sensor", node_id: this.o.nodeId, fidelity: "kernel", sensor: { condition: "source_down:dns-answers", detail: `${why}; restarting` } });
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    this.state = "stopped";
  }

  status(): SourceStatus {
    const c = this.runner.counts;
    return { name: this.name, state: this.state, events: this.events, parse_errors: this.parseErrors + c.bad_output, drops: c.lost, fidelity: "kernel", ...(this.detail !== undefined ? { detail: this.detail } : {}) };
  }

  details(): Record<string, unknown> {
    return { lost_by_kernel: this.runner.counts.lost, restarts: this.runner.counts.restarts };
  }
}
