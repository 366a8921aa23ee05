// Firewall state as a sensor: the ruleset snapshotted on an interval, and any change raised as a
// sensor event carrying the diff. An agent that opens the firewall (`nft flush ruleset`,
// `iptables -P INPUT ACCEPT`, `ufw disable`) by any means, a tool clawav's rules do not know
// included, changes the ruleset: this sees the result, not the command.
import { createHash } from "node:crypto";
import type { Event, EventIdGenerator, Source, SourceStatus } from "../../events/index.js";
import { lineDiff } from "./diff.js";
import { findFirewallTools, takeSnapshot, type FirewallTools, type Snapshot } from "./snapshot.js";

export interface FirewallSourceOptions {
  nodeId: string;
  ids: EventIdGenerator;
  intervalMs: number;
  /** Default: found on the machine (nft; legacy iptables-save). */
  tools?: FirewallTools;
  /** nft tables left out of the snapshot ("inet clawav": the netfilter sensor guards its own). */
  skipTables?: readonly string[];
}

/** Most of a diff an event carries; the count says how much more there was. */
const MAX_DETAIL = 4000;

export class FirewallSource implements Source {
  readonly name = "firewall";
  private tools: FirewallTools = {};
  private baseline: Snapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private state: SourceStatus["state"] = "starting";
  private detail: string | undefined;
  private events = 0;
  private failures = 0;
  private snapshots = 0;
  private lastChange: number | undefined;
  private emit: ((e: Event) => void) | undefined;

  constructor(private readonly o: FirewallSourceOptions) {}

  async start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    this.tools = this.o.tools ?? (await findFirewallTools());
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.state = "stopped";
    return Promise.resolve();
  }

  status(): SourceStatus {
    return { name: this.name, state: this.state, ...(this.detail !== undefined ? { detail: this.detail } : {}), events: this.events, parse_errors: this.failures, drops: 0, fidelity: "poll" };
  }

  details(): Record<string, unknown> {
    return { tools: this.toolNames(), interval_ms: this.o.intervalMs, snapshots: this.snapshots, ...(this.lastChange !== undefined ? { last_change: new Date(this.lastChange).toISOString() } : {}) };
  }

  private toolNames(): string[] {
    return [...(this.tools.nft ? ["nft"] : []), ...(this.tools.iptablesSave ?? []).map((p) => p.slice(p.lastIndexOf("/") + 1))];
  }

  /** One snapshot; against the baseline when there is one. Ticks never overlap. */
  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const snap = await takeSnapshot(this.tools, this.o.skipTables);
      this.snapshots++;
      if (this.baseline) this.compare(this.baseline, snap);
      this.baseline = snap;
      this.state = "running";
      this.detail = `${this.toolNames().join(", ") || "no firewall tool"} every ${this.o.intervalMs / 1000} s`;
    } catch (e) {
      this.failures++;
      // Blind from now on: said once, when it starts; the baseline is kept, so a change made
      // while the ruleset could not be read is reported when it can be again.
      if (this.state !== "degraded") this.sense("firewall_unreadable", (e as Error).message);
      this.state = "degraded";
      this.detail = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  private compare(before: Snapshot, after: Snapshot): void {
    const changes: string[] = [];
    let lines = 0;
    for (const tool of new Set([...before.parts.keys(), ...after.parts.keys()])) {
      const d = lineDiff(before.parts.get(tool) ?? [], after.parts.get(tool) ?? []);
      if (d.length === 0) continue;
      lines += d.length;
      changes.push(`${tool}:\n${d.join("\n")}`);
    }
    if (lines === 0) return;
    this.lastChange = Date.now();
    let text = changes.join("\n");
    if (text.length > MAX_DETAIL) text = `${text.slice(0, MAX_DETAIL)}\n… (${lines} changed lines in all)`;
    // Each change is its own finding: two different diffs must not fold as repeats of one.
    this.sense("firewall_changed", text, lines, createHash("sha256").update(changes.join("\n")).digest("hex").slice(0, 16));
  }

  private sense(condition: string, detail: string, value?: number, key?: string): void {
    this.events++;
    this.emit?.({
      id: this.o.ids.take(),
      ts: Date.now(),
      source: "firewall",
      kind: "sensor",
      node_id: this.o.nodeId,
      fidelity: "poll",
      sensor: { condition, detail, ...(value !== undefined ? { value } : {}), ...(key !== undefined ? { key } : {}) },
    });
  }
}
