import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { setPriority } from "node:os";
import { createInterface } from "node:readline";

// One bpftrace program, supervised: run with JSON output (`-f json`, so a printf's text arrives
// JSON-escaped and a newline inside an argument cannot forge a line), restarted with backoff when
// it dies, and the events the kernel's perf buffer lost counted from bpftrace's own reports.

export interface BpftraceRunnerOptions {
  bpftrace: string;
  program: string;
  /** Extra environment (BPFTRACE_STRLEN, ...). */
  env?: Record<string, string>;
  /** Each printf's text, without its final newline. */
  onLine(text: string): void;
  /** The program is attached (its probes are live). */
  onAttached(): void;
  /** The program stopped without being asked: why, and whether a restart is planned. */
  onDown(why: string): void;
  /** First restart delay; doubled after each failure, up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** The nice value to run bpftrace at (negative is sooner; needs root). */
  nice?: number;
}

export interface RunnerCounts {
  /** Events the kernel dropped before bpftrace could read them (its "lost events" reports). */
  lost: number;
  restarts: number;
  /** Output lines that were not bpftrace JSON. */
  bad_output: number;
}

/**
 * tracepoints need tracefs; a machine that has it unmounted (some containers, minimal boots)
 * gets it mounted where bpftrace looks. Returns why it could not be, or undefined.
 */
export function ensureTracefs(): string | undefined {
  if (existsSync("/sys/kernel/tracing/events")) return undefined;
  if (existsSync("/sys/kernel/debug/tracing/events")) return undefined;
  try {
    const mounts = readFileSync("/proc/mounts", "utf8");
    if (/\stracefs\s/.test(mounts) && existsSync("/sys/kernel/tracing/events")) return undefined;
  } catch {
    // Read below by mounting.
  }
  const r = spawnSync("mount", ["-t", "tracefs", "nodev", "/sys/kernel/tracing"], { encoding: "utf8", timeout: 5000 });
  if (r.status === 0 && existsSync("/sys/kernel/tracing/events")) return undefined;
  return `tracefs is not mounted and could not be (${(r.stderr || r.error?.message || `exit ${r.status}`).trim()})`;
}

export class BpftraceRunner {
  readonly counts: RunnerCounts = { lost: 0, restarts: 0, bad_output: 0 };
  private child: ChildProcess | undefined;
  private stopping = false;
  private stderr = "";
  private backoff: number;
  private timer: NodeJS.Timeout | undefined;
  private attachedAt = 0;

  constructor(private readonly o: BpftraceRunnerOptions) {
    this.backoff = o.backoffMs ?? 1000;
  }

  start(): void {
    this.stopping = false;
    this.spawnOnce();
  }

  private spawnOnce(): void {
    this.stderr = "";
    const child = spawn(this.o.bpftrace, ["-f", "json", "-B", "line", "-e", this.o.program], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...this.o.env } });
    this.child = child;
    // auditd runs with priority_boost 4 (nice -4): the sensor that is to be the quicker of the
    // two must not wait behind it for the CPU. Best effort (root may lower nice; others may not).
    if (child.pid !== undefined && this.o.nice !== undefined) {
      try {
        setPriority(child.pid, this.o.nice);
      } catch {
        // Not permitted: it runs at the daemon's priority.
      }
    }
    let ended = false;
    const down = (why: string) => {
      if (ended) return;
      ended = true;
      if (this.stopping) return;
      this.o.onDown(why);
      this.scheduleRestart();
    };
    child.on("error", (err) => down(`bpftrace could not start: ${err.message}`));
    child.on("exit", (code, signal) => down(`bpftrace exited (${signal ?? `code ${code}`}): ${lastLines(this.stderr)}`));
    child.stderr.on("data", (b: Buffer) => {
      this.stderr = (this.stderr + b.toString("utf8")).slice(-4096);
    });
    createInterface({ input: child.stdout }).on("line", (line) => this.onOutput(line));
  }

  private scheduleRestart(): void {
    // A program that ran a good while before dying starts again from the first delay.
    if (this.attachedAt > 0 && Date.now() - this.attachedAt > 60_000) this.backoff = this.o.backoffMs ?? 1000;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.maxBackoffMs ?? 60_000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopping) return;
      this.counts.restarts++;
      this.spawnOnce();
    }, wait);
    this.timer.unref();
  }

  private onOutput(line: string): void {
    if (line === "") return;
    let msg: { type?: unknown; data?: unknown };
    try {
      msg = JSON.parse(line) as { type?: unknown; data?: unknown };
    } catch {
      this.counts.bad_output++;
      return;
    }
    switch (msg.type) {
      case "printf": {
        if (typeof msg.data !== "string") break;
        // One printf may carry several lines of the program's own (it never does here), and each ends with \n.
        const text = msg.data.endsWith("\n") ? msg.data.slice(0, -1) : msg.data;
        this.o.onLine(text);
        break;
      }
      case "attached_probes":
        this.attachedAt = Date.now();
        this.o.onAttached();
        break;
      case "lost_events": {
        const n = (msg.data as { events?: unknown } | undefined)?.events;
        if (typeof n === "number") this.counts.lost += n;
        break;
      }
      default:
        break;
    }
  }

  /** The running child's pid (tests kill it to see the restart). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      await new Promise<void>((r) => {
        c.once("exit", () => r());
        c.kill("SIGINT");
        setTimeout(() => c.kill("SIGKILL"), 2000).unref();
      });
    }
  }
}

function lastLines(s: string): string {
  return s
    .trim()
    .split("\n")
    .filter((l) => !l.includes("RLIMIT_MEMLOCK"))
    .slice(-2)
    .join(" ")
    .slice(0, 300);
}
