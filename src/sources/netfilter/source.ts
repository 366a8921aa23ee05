// The netfilter sensor: clawav's nftables table (nft.ts) logs the watched users' new outbound
// flows and, with egress control, drops an agent's flows to anywhere not allowed; the kernel's
// log lines (kmsg.ts, log-line.ts) become `net` events carrying `net.netfilter`. The table is
// checked on an interval: removed or changed by anyone else, it is a critical alert and put back.
import { execFile } from "node:child_process";
import type { Event, EventIdGenerator, ProcessInfo, Source, SourceStatus } from "../../events/index.js";
import { kernelLogReader, type KernelLogReader, type KernelLogSpec } from "./kernel-log.js";
import { parseFlowLine } from "./log-line.js";
import { TABLE, tableScript, type TableSpec } from "./nft.js";

export interface NetfilterOptions {
  nft: string;
  nodeId: string;
  ids: EventIdGenerator;
  /** The table to install, made again on each check (egress addresses follow the resolver). */
  spec: () => TableSpec;
  /** Where the kernel's log lines are read: /dev/kmsg by default. */
  log?: KernelLogSpec;
  /** How often the table is checked and its allowed addresses refreshed. */
  checkMs?: number;
}

export class NetfilterSource implements Source {
  readonly name = "netfilter";
  private emit: ((e: Event) => void) | undefined;
  private state: SourceStatus["state"] = "starting";
  private detail: string | undefined;
  private events = 0;
  private parseErrors = 0;
  private lastBad: string | undefined;
  private readonly counts = { logged: 0, dropped: 0, table_installs: 0, table_restored: 0 };
  private reader: KernelLogReader | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The table as nft listed it right after clawav installed it. */
  private installed: string | undefined;
  private script: string | undefined;
  private stopped = false;

  constructor(private readonly o: NetfilterOptions) {}

  async start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    try {
      await this.install();
    } catch (e) {
      this.down(`cannot install the nftables table: ${(e as Error).message}`);
      return;
    }
    try {
      this.reader = kernelLogReader(this.o.log ?? { kind: "kmsg" }, (m) => this.onRecord(m), (e) => this.down(`reading the kernel log: ${e.message}`), (why) => this.sensor("netfilter_log_restarted", why));
      this.reader.start();
    } catch (e) {
      this.down(`cannot read the kernel log: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return;
    }
    this.state = "running";
    const spec = this.o.spec();
    this.detail = `table inet ${TABLE}: logs ${describeUids(spec)}${spec.egress && spec.egress.uids.length > 0 ? `; egress control for uids ${spec.egress.uids.join(", ")}` : ""}; read from ${this.reader.where}`;
    this.timer = setInterval(() => void this.check(), this.o.checkMs ?? 10_000);
    this.timer.unref();
  }

  private async install(): Promise<void> {
    const script = tableScript(this.o.spec());
    await run(this.o.nft, ["-f", "-"], script);
    this.script = script;
    this.installed = await run(this.o.nft, ["-s", "list", "table", "inet", TABLE]);
    this.counts.table_installs++;
  }

  /** The table as installed, or a changed spec (new addresses): put it in place again. */
  private async check(): Promise<void> {
    if (this.stopped) return;
    let now: string | undefined;
    try {
      now = await run(this.o.nft, ["-s", "list", "table", "inet", TABLE]);
    } catch {
      now = undefined;
    }
    if (this.stopped) return;
    if (now !== this.installed) {
      this.counts.table_restored++;
      this.sensor("netfilter_table_changed", now === undefined ? `table inet ${TABLE} was deleted; putting it back` : `table inet ${TABLE} was changed by someone else; putting it back`);
    } else if (tableScript(this.o.spec()) === this.script) return;
    try {
      await this.install();
    } catch (e) {
      this.down(`cannot put the nftables table back: ${(e as Error).message}`);
    }
  }

  private onRecord(message: string): void {
    const prefix = this.o.spec().prefix;
    const f = parseFlowLine(message, prefix);
    if (f === undefined) return;
    if ("bad" in f) {
      this.parseErrors++;
      this.lastBad = f.bad;
      return;
    }
    const process: ProcessInfo = { argv: [], auid: null, ...(f.uid !== undefined ? { uid: f.uid } : {}), ...(f.gid !== undefined ? { gid: f.gid } : {}) };
    const family = f.dst.includes(":") ? "inet6" : "inet";
    this.counts[f.verdict]++;
    this.events++;
    this.emit?.({
      id: this.o.ids.take(),
      ts: Date.now(),
      source: this.name,
      kind: "net",
      node_id: this.o.nodeId,
      fidelity: "kernel",
      process,
      net: { family, address: f.dst, ...(f.dport !== undefined ? { port: f.dport } : {}), netfilter: { verdict: f.verdict, protocol: f.protocol, src: f.src, ...(f.sport !== undefined ? { sport: f.sport } : {}), ...(f.out !== undefined ? { out: f.out } : {}) } },
    });
  }

  private sensor(condition: string, detail: string): void {
    this.emit?.({ id: this.o.ids.take(), ts: Date.now(), source: this.name, kind: "sensor", node_id: this.o.nodeId, fidelity: "kernel", sensor: { condition, detail } });
  }

  private down(why: string): void {
    this.state = "down";
    this.detail = why;
    this.sensor("source_down:netfilter", why);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.reader?.read();
    this.reader?.stop();
    // A clean stop takes the table away (an agent cut off by a stopped watchdog would be its
    // owner's surprise); a killed clawav leaves it in place, egress still closed.
    if (this.installed !== undefined) await run(this.o.nft, ["delete", "table", "inet", TABLE]).catch(() => undefined);
    this.state = "stopped";
  }

  status(): SourceStatus {
    return { name: this.name, state: this.state, events: this.events, parse_errors: this.parseErrors, drops: this.reader?.counts.overrun ?? 0, fidelity: "kernel", ...(this.detail !== undefined ? { detail: this.lastBad !== undefined && this.state === "running" ? `${this.detail}; last bad line: ${this.lastBad}` : this.detail } : {}) };
  }

  details(): Record<string, unknown> {
    return { ...this.counts, kernel_log: this.reader?.where ?? null, kernel_log_overruns: this.reader?.counts.overrun ?? 0, kernel_log_restarts: this.reader?.counts.restarts ?? 0 };
  }
}

function describeUids(s: TableSpec): string {
  return "uids" in s.log ? `uids ${s.log.uids.join(", ")}` : `uids >= ${s.log.min}${s.log.except.length > 0 ? ` except ${s.log.except.join(", ")}` : ""}`;
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // No shell; the script goes on stdin, so no address or name is ever a shell word.
    const child = execFile(cmd, args, { timeout: 10_000, maxBuffer: 4 << 20, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")}: ${(stderr || err.message).trim().split("\n")[0]}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
