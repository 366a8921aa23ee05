import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";
import { CLI, waitFor } from "./system.js";
import type { Alert, Event } from "../../src/events/index.js";

interface Line {
  type: "event" | "alert";
  event?: Event;
  alert?: Alert;
}

/** Daemons still running when a test file ends (a failed test never stopped it) are killed, so they cannot act on the next file's processes. */
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const c of running) c.kill("SIGKILL");
  running.clear();
});

/** A real `clawav run --headless --events` child, with its stdout parsed as it comes. */
export class DaemonUnderTest {
  readonly events: Event[] = [];
  readonly alerts: Alert[] = [];
  readonly logs: Record<string, unknown>[] = [];
  stderr = "";
  private child: ChildProcess | undefined;
  private rest = "";
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(
    readonly stateDir: string,
    private readonly extraArgs: string[] = [],
    private readonly spawnOpts: SpawnOptions = {},
  ) {}

  static withTempState(extraArgs: string[] = [], configToml?: string, spawnOpts: SpawnOptions = {}): DaemonUnderTest {
    const dir = mkdtempSync(join(tmpdir(), "clawav-daemon-"));
    const args = [...extraArgs];
    // Tests talk to loopback only: the allowed names are resolved by a DNS server that is not there
    // (refused at once), never by the machine's own resolver, unless a test names its own.
    // bpftrace (the DNS answers sensor) starts only where a test asks for it: it costs seconds of CPU per daemon.
    // So does the posture scan (apt-get, a walk of the set-id programs): off unless a test asks.
    const toml = (configToml ?? "") + (configToml?.includes("[network]") ? "" : '\n[network]\ndns_servers = ["127.0.0.1:1"]\n') + (configToml?.includes("[ebpf]") ? "" : "\n[ebpf]\ndns_answers = false\nsyscalls = false\n") + (configToml?.includes("[admin]") ? "" : `\n[admin]\nsocket = "${join(dir, "admin.sock")}"\n`) + (configToml?.includes("[scans]") ? "" : "\n[scans]\nenabled = false\n");
    const cfg = join(dir, "config.toml");
    writeFileSync(cfg, toml, { mode: 0o600 });
    args.push("--config", cfg);
    return new DaemonUnderTest(join(dir, "state"), args, spawnOpts);
  }

  /** Starts the child and waits for its "clawav running" line, or for the first log line `until` accepts. */
  async start(until: (log: Record<string, unknown>) => boolean = (l) => l.msg === "clawav running"): Promise<void> {
    const args = [...this.extraArgs];
    if (!args.includes("--config") && this.spawnOpts.uid === undefined) {
      // As withTempState: loopback only, the allowed names resolved by no one.
      const cfg = join(dirname(this.stateDir), "loopback-dns.toml");
      writeFileSync(cfg, `[network]\ndns_servers = ["127.0.0.1:1"]\n\n[ebpf]\ndns_answers = false\nsyscalls = false\n\n[admin]\nsocket = "${join(dirname(this.stateDir), "admin.sock")}"\n\n[scans]\nenabled = false\n`, { mode: 0o600 });
      args.push("--config", cfg);
    }
    const child = spawn(process.execPath, [CLI, "run", "--headless", "--events", "--api-port", "0", "--state-dir", this.stateDir, ...args], { ...this.spawnOpts, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    running.add(child);
    this.exit = new Promise((r) =>
      child.on("exit", (code, signal) => {
        running.delete(child);
        r({ code, signal });
      }),
    );
    child.stdout.on("data", (b: Buffer) => this.onStdout(b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => {
      this.stderr += b.toString("utf8");
      for (const l of b.toString("utf8").split("\n")) {
        try {
          if (l.startsWith("{")) this.logs.push(JSON.parse(l) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
    });
    await waitFor("the daemon to say it runs", () => (this.logs.some(until) ? true : undefined), 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; stderr: ${this.stderr}`);
    });
  }

  /** GET of the daemon's API with its bearer token (reads want it, as the agent must not read them). */
  async api<T = unknown>(path: string): Promise<T> {
    const { port } = JSON.parse(readFileSync(join(this.stateDir, "api.json"), "utf8")) as { port: number };
    const token = readFileSync(join(this.stateDir, "api-token"), "utf8").trim();
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The config file it runs with (--config), if any. */
  get configFile(): string | undefined {
    const i = this.extraArgs.indexOf("--config");
    return i >= 0 ? this.extraArgs[i + 1] : undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child?.kill(signal);
    return this.exit!;
  }

  waitEvent(what: string, pred: (e: Event) => boolean, timeoutMs = 15_000): Promise<Event> {
    return waitFor(what, () => this.events.find(pred), timeoutMs);
  }

  waitAlert(what: string, pred: (a: Alert) => boolean, timeoutMs = 15_000): Promise<Alert> {
    return waitFor(what, () => this.alerts.find(pred), timeoutMs);
  }

  private onStdout(s: string): void {
    const text = this.rest + s;
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    for (const l of lines) {
      if (!l) continue;
      const v = JSON.parse(l) as Line;
      if (v.type === "event" && v.event) this.events.push(v.event);
      if (v.type === "alert" && v.alert) this.alerts.push(v.alert);
    }
  }
}
