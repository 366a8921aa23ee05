// Debian's rsyslogd as a loopback collector for the SIEM tests: a child process with its own
// configuration, work folder and pid file, listening on 127.0.0.1 only (the system's rsyslogd is
// left alone). It parses RFC 5424 (mmpstrucdata for the structured data) and writes what it
// parsed as JSON lines, which the tests read.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import type { TestCa } from "./llm-upstream.js";
import { waitFor } from "./system.js";

/** Where Debian keeps rsyslog's modules: the TLS tests need the gtls network stream driver. */
export function hasGtls(): boolean {
  try {
    return readdirSync("/usr/lib").some((d) => existsSync(join("/usr/lib", d, "rsyslog", "lmnsd_gtls.so")));
  } catch {
    return false;
  }
}

export interface Received {
  msgid: string;
  sd: string;
  msg: string;
  app: string;
  procid: string;
  host: string;
  pri: string;
  ts: string;
  version: string;
  parsed: { "rfc5424-sd"?: Record<string, Record<string, string>> };
}

// Every field through rsyslog's JSON escaping; `$!` holds what mmpstrucdata parsed (and the
// marker set first, so that it is an object for a message without structured data too).
const TEMPLATE = `template(name="siem" type="list") {
  constant(value="{\\"msgid\\":\\"") property(name="msgid" format="json")
  constant(value="\\",\\"sd\\":\\"") property(name="structured-data" format="json")
  constant(value="\\",\\"msg\\":\\"") property(name="msg" format="json")
  constant(value="\\",\\"app\\":\\"") property(name="app-name" format="json")
  constant(value="\\",\\"procid\\":\\"") property(name="procid" format="json")
  constant(value="\\",\\"host\\":\\"") property(name="hostname" format="json")
  constant(value="\\",\\"pri\\":\\"") property(name="pri")
  constant(value="\\",\\"ts\\":\\"") property(name="timereported" dateFormat="rfc3339")
  constant(value="\\",\\"version\\":\\"") property(name="protocol-version")
  constant(value="\\",\\"parsed\\":") property(name="$!")
  constant(value="}\\n")
}`;

export class Rsyslog {
  private proc: ChildProcess | undefined;
  private stderr = "";
  readonly out: string;

  constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly tls?: TestCa,
  ) {
    this.out = join(dir, "out.jsonl");
  }

  async start(): Promise<void> {
    const work = join(this.dir, "work");
    mkdirSync(work, { recursive: true, mode: 0o700 });
    const tlsGlobal = this.tls
      ? ` defaultNetstreamDriverCAFile="${this.tls.caFile}" defaultNetstreamDriverCertFile="${join(this.tls.dir, "server.pem")}" defaultNetstreamDriverKeyFile="${join(this.tls.dir, "server.key")}"`
      : "";
    const tlsModule = this.tls ? ` streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"` : "";
    const conf = [
      `global(workDirectory="${work}"${tlsGlobal})`,
      `module(load="imtcp"${tlsModule})`,
      `module(load="mmpstrucdata")`,
      TEMPLATE,
      `ruleset(name="siem") {`,
      `  set $!received = "1";`,
      `  action(type="mmpstrucdata")`,
      `  action(type="omfile" file="${this.out}" template="siem" fileCreateMode="0600")`,
      `}`,
      `input(type="imtcp" port="${this.port}" address="127.0.0.1" ruleset="siem")`,
      "",
    ].join("\n");
    const confFile = join(this.dir, "rsyslog.conf");
    writeFileSync(confFile, conf, { mode: 0o600 });
    const proc = spawn("rsyslogd", ["-n", "-f", confFile, "-i", join(this.dir, "rsyslogd.pid")], { stdio: ["ignore", "ignore", "pipe"] });
    this.proc = proc;
    proc.stderr.on("data", (b: Buffer) => (this.stderr += b.toString("utf8")));
    await waitFor(`rsyslogd listening on 127.0.0.1:${this.port}`, async () => {
      if (proc.exitCode !== null) throw new Error(`rsyslogd exited (${proc.exitCode}): ${this.stderr}`);
      return (await accepts(this.port)) || undefined;
    });
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  }

  received(): Received[] {
    if (!existsSync(this.out)) return [];
    const text = readFileSync(this.out, "utf8");
    // Only whole lines: rsyslog may be half-way through writing the last.
    return text
      .split("\n")
      .slice(0, -1)
      .map((l) => JSON.parse(l) as Received);
  }

  async waitReceived(n: number): Promise<Received[]> {
    return waitFor(`${n} messages at rsyslog (${this.out}); stderr: ${this.stderr}`, () => {
      const r = this.received();
      return r.length >= n ? r : undefined;
    });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
