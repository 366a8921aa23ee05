import { createHash } from "node:crypto";
import type { Alert } from "../events/index.js";
import type { AlertGate } from "./pipeline.js";

export interface AggregatorOptions {
  dedupeWindowMs?: number;
  /** Alerts per source per minute; critical alerts are never rate-limited. */
  ratePerMinute?: number;
  maxKeys?: number;
}

export interface AggregatorStatus {
  admitted: number;
  deduped: number;
  rate_limited: number;
  /** Suppressed since the last admitted alert of the same key, not yet reported on one. */
  pending_suppressed: number;
  evicted_keys: number;
}

interface KeyState {
  lastAdmitted: number;
  suppressed: number;
}

/**
 * Dedupe and rate limit, with the event's own timestamp as the clock so that replay gives the
 * live answers. The chain has already recorded every alert; this only thins what reaches people.
 *
 * - Dedupe: the same rule, process identity and target within the window is one alert; the target
 *   is the file, the destination or the command line, so two IPs or two paths are two alerts.
 * - Rate limit: per event source (auditd, procfs, preload, ...), over a sliding minute.
 *   Critical alerts pass it always (they are still deduped: the same critical alert twice in
 *   30 s tells a person nothing new).
 * - Suppressed counts ride on the next alert of that key that passes (`alert.suppressed`).
 */
export class Aggregator implements AlertGate {
  private readonly window: number;
  private readonly rate: number;
  private readonly maxKeys: number;
  private readonly keys = new Map<string, KeyState>();
  private readonly recent = new Map<string, number[]>();
  readonly stats: AggregatorStatus = { admitted: 0, deduped: 0, rate_limited: 0, pending_suppressed: 0, evicted_keys: 0 };

  constructor(o: AggregatorOptions = {}) {
    this.window = o.dedupeWindowMs ?? 30_000;
    this.rate = o.ratePerMinute ?? 20;
    this.maxKeys = o.maxKeys ?? 20_000;
  }

  admit(alert: Alert, nowMs: number): Alert | undefined {
    const key = dedupeKey(alert);
    const st = this.keys.get(key);
    if (st && nowMs - st.lastAdmitted < this.window) {
      st.suppressed++;
      this.stats.deduped++;
      this.stats.pending_suppressed++;
      return undefined;
    }
    // A pending clawsudo request is useless to a person who never sees its id.
    if (alert.severity !== "critical" && alert.action !== "ask") {
      const source = String(alert.event.source);
      let times = this.recent.get(source);
      if (!times) this.recent.set(source, (times = []));
      while (times.length > 0 && nowMs - times[0]! >= 60_000) times.shift();
      if (times.length >= this.rate) {
        this.stats.rate_limited++;
        this.stats.pending_suppressed++;
        const s = st ?? { lastAdmitted: -Infinity, suppressed: 0 };
        s.suppressed++;
        this.remember(key, s);
        return undefined;
      }
      times.push(nowMs);
    }
    const suppressed = st?.suppressed ?? 0;
    this.stats.pending_suppressed -= suppressed;
    this.remember(key, { lastAdmitted: nowMs, suppressed: 0 });
    this.stats.admitted++;
    return suppressed > 0 ? { ...alert, suppressed } : alert;
  }

  private remember(key: string, st: KeyState): void {
    this.keys.delete(key);
    this.keys.set(key, st);
    while (this.keys.size > this.maxKeys) {
      const [oldest, s] = this.keys.entries().next().value!;
      this.keys.delete(oldest);
      this.stats.evicted_keys++;
      this.stats.pending_suppressed -= s.suppressed;
    }
  }
}

export function dedupeKey(a: Alert): string {
  const e = a.event;
  const p = e.process;
  const who = p ? (p.agent ?? `${p.uid}`) + "|" + p.exe : e.source;
  let target: string;
  if (e.gate?.request_id !== undefined) target = `gate:${e.gate.request_id}:${e.gate.decision}`;
  else if (e.net) target = `net:${e.net.address ?? e.net.path ?? ""}:${e.net.port ?? ""}`;
  else if (e.kind === "file" && e.file) target = `file:${e.file.path}`;
  else if (p) target = `cmd:${createHash("sha1").update(p.argv.join("\0")).digest("hex")}`;
  else target = `sensor:${e.sensor?.condition ?? ""}`;
  return `${a.rule}|${who}|${target}`;
}
