// systemd's notify protocol (sd_notify) for a daemon run as a Type=notify unit: READY=1 once its
// sources are up, WATCHDOG=1 only while it makes progress, STATUS= with its counts, STOPPING=1.
// Node cannot send an AF_UNIX datagram, so a small C helper (native/notify) does the sending.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log/index.js";
import { PACKAGE_ROOT } from "../version.js";

export const NOTIFY_HELPER = join(PACKAGE_ROOT, "native", "notify", "build", "clawav-notify");

/** What systemd asked for, read from the environment it starts the service with. */
export interface NotifyRequest {
  socket: string;
  /** Half of WATCHDOG_USEC, in ms: how often to say WATCHDOG=1; undefined when no watchdog is set for us. */
  watchdogEveryMs?: number;
}

/**
 * Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. Undefined when not run by systemd as a
 * notify service. A WATCHDOG_PID naming another process means the watchdog is not ours.
 */
export function notifyRequest(env: NodeJS.ProcessEnv, pid: number): NotifyRequest | undefined {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return undefined;
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === "" || Number(env.WATCHDOG_PID) === pid;
  const every = Number.isFinite(usec) && usec > 0 && forUs ? Math.max(1, Math.floor(usec / 2000)) : undefined;
  return every !== undefined ? { socket, watchdogEveryMs: every } : { socket };
}

/** A sample of the daemon's work, taken at each watchdog tick. */
export interface ProgressSample {
  /** Events taken off the queues so far (judged or skipped). */
  handled: number;
  /** Events waiting in the queues now. */
  queued: number;
}

/**
 * Is the daemon making progress? The tick itself proves the event loop runs; the pipeline is
 * stalled when events waited at the last tick and none has been taken off since. An idle daemon
 * (nothing queued) is healthy.
 */
export class ProgressWatch {
  private last: ProgressSample | undefined;

  healthy(now: ProgressSample): boolean {
    const prev = this.last;
    this.last = now;
    if (!prev) return true;
    return !(prev.queued > 0 && now.handled === prev.handled);
  }
}

/** The helper process and the messages it sends. */
export class SystemdNotifier {
  private child: ChildProcess | undefined;
  private failedReported = false;

  constructor(
    private readonly socket: string,
    private readonly log: Logger,
    private readonly helper = NOTIFY_HELPER,
  ) {}

  /** Starts the helper; false (and said) when it is not built. */
  start(): boolean {
    if (!existsSync(this.helper)) {
      this.log.error("sd_notify helper missing: systemd will not hear READY=1 or WATCHDOG=1 (run npm run build:native)", { helper: this.helper });
      return false;
    }
    // Only the helper gets NOTIFY_SOCKET: the daemon's other children (auditctl, bpftrace, ...) must not speak for it.
    const child = spawn(this.helper, [], { stdio: ["pipe", "ignore", "pipe"], env: { NOTIFY_SOCKET: this.socket } });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (d: string) => {
      if (this.failedReported) return;
      this.failedReported = true;
      this.log.warn("sd_notify helper", { said: d.trim().slice(0, 300) });
    });
    child.on("error", (e) => this.log.error("sd_notify helper failed", { error: e.message }));
    child.stdin?.on("error", () => {});
    this.child = child;
    return true;
  }

  /** One message of KEY=VALUE lines. */
  send(fields: Record<string, string>): void {
    const msg = Object.entries(fields)
      .map(([k, v]) => `${k}=${v.replace(/[\n\0]/g, " ")}`)
      .join("\n");
    this.child?.stdin?.write(`${msg}\0`);
  }

  /** Closes the pipe: the helper sends what it has and exits. */
  close(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        c.kill("SIGKILL");
        resolve();
      }, 2000);
      c.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      c.stdin?.end();
    });
  }
}
