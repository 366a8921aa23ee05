// systemd's end of sd_notify for tests: a real AF_UNIX datagram socket (bound by
// notify-listener.py), its datagrams collected with the time each arrived.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./system.js";

export interface Notice {
  t: number;
  msg: string;
  fields: Record<string, string>;
}

export class NotifyListener {
  readonly got: Notice[] = [];
  readonly path: string;
  private readonly dir: string;
  private child: ChildProcess | undefined;
  private rest = "";

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "clawav-notify-"));
    this.path = join(this.dir, "notify.sock");
  }

  async start(): Promise<void> {
    const child = spawn("python3", [join(import.meta.dirname, "notify-listener.py"), this.path], { stdio: ["ignore", "pipe", "inherit"] });
    this.child = child;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (s: string) => {
      const lines = (this.rest + s).split("\n");
      this.rest = lines.pop() ?? "";
      for (const l of lines) {
        const v = JSON.parse(l) as { t: number; msg: string };
        const fields = Object.fromEntries(v.msg.split("\n").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
        this.got.push({ t: v.t, msg: v.msg, fields });
      }
    });
    await waitFor("the notify listener", () => (this.got.some((n) => n.msg === "LISTENING") ? true : undefined), 10_000);
  }

  with(key: string, value?: string): Notice[] {
    return this.got.filter((n) => key in n.fields && (value === undefined || n.fields[key] === value));
  }

  stop(): void {
    this.child?.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
