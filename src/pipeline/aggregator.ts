import { createHash } from "node:crypto";
import { severityRank, type Alert, type AlertEntry, type ChannelRule, type Notice } from "../events/index.js";

export interface AggregatorOptions {
  /** Repeats of one (rule, process identity, target) within this window fold into one entry. */
  windowMs: number;
  channels: readonly ChannelRule[];
  /** Bound on remembered entries; the oldest go first, counted. */
  maxKeys?: number;
}

export interface ChannelCounts {
  pushed: number;
  below_min_severity: number;
  rate_limited: number;
  /** Repeats not pushed because an earlier alert of the same entry was. */
  repeats: number;
  /** Held back since this channel's last push; carried on its next push as `suppressed`. */
  pending_suppressed: number;
}

export interface AggregatorStatus {
  alerts: number;
  entries: number;
  folded_repeats: number;
  evicted_keys: number;
  channels: Record<string, ChannelCounts>;
}

interface ChannelState {
  rule: ChannelRule;
  recent: number[];
  c: ChannelCounts;
}

/**
 * The one place that decides what reaches people. Every alert is already in the chain; here
 * repeats of the same detection within the window fold into one entry (with a count and its
 * first and last time) and each channel gets the fresh entries at or above its minimum
 * severity, within its rate limit. Critical alerts and clawsudo questions pass the rate limit
 * always. The clock is the event's own time, so a replay decides as the live daemon did.
 */
export class Aggregator {
  private readonly entries = new Map<string, AlertEntry>();
  private readonly maxKeys: number;
  private readonly channels: ChannelState[];
  private readonly counts = { alerts: 0, folded_repeats: 0, evicted_keys: 0 };

  constructor(private readonly o: AggregatorOptions) {
    this.maxKeys = o.maxKeys ?? 20_000;
    this.channels = o.channels.map((rule) => ({ rule, recent: [], c: { pushed: 0, below_min_severity: 0, rate_limited: 0, repeats: 0, pending_suppressed: 0 } }));
  }

  aggregate(alert: Alert): Notice {
    this.counts.alerts++;
    const now = alert.ts;
    const key = dedupeKey(alert);
    const known = this.entries.get(key);
    if (known && now - known.first_ts < this.o.windowMs && now >= known.first_ts) {
      known.count++;
      known.last_ts = Math.max(known.last_ts, now);
      known.last_event_id = alert.event_id;
      this.counts.folded_repeats++;
      for (const ch of this.channels) {
        if (severityRank(alert.severity) < severityRank(ch.rule.minSeverity)) continue;
        ch.c.repeats++;
        ch.c.pending_suppressed++;
      }
      return { alert, entry: known, fresh: false, push: [] };
    }
    const entry: AlertEntry = { key, alert, count: 1, first_ts: now, last_ts: now, last_event_id: alert.event_id };
    this.remember(key, entry);
    const push: { channel: string; suppressed: number }[] = [];
    for (const ch of this.channels) {
      if (severityRank(alert.severity) < severityRank(ch.rule.minSeverity)) {
        ch.c.below_min_severity++;
        continue;
      }
      const exempt = alert.severity === "critical" || alert.action === "ask";
      while (ch.recent.length > 0 && (now - ch.recent[0]! >= 60_000 || now < ch.recent[0]!)) ch.recent.shift();
      if (!exempt && ch.recent.length >= ch.rule.ratePerMinute) {
        ch.c.rate_limited++;
        ch.c.pending_suppressed++;
        continue;
      }
      if (!exempt) ch.recent.push(now);
      push.push({ channel: ch.rule.name, suppressed: ch.c.pending_suppressed });
      ch.c.pending_suppressed = 0;
      ch.c.pushed++;
    }
    return { alert, entry, fresh: true, push };
  }

  status(): AggregatorStatus {
    return { ...this.counts, entries: this.entries.size, channels: Object.fromEntries(this.channels.map((c) => [c.rule.name, { ...c.c }])) };
  }

  private remember(key: string, entry: AlertEntry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxKeys) {
      this.entries.delete(this.entries.keys().next().value!);
      this.counts.evicted_keys++;
    }
  }
}

/** Same rule, same process identity (agent or uid, and executable), same target. */
export function dedupeKey(a: Alert): string {
  const e = a.event;
  const p = e.process;
  const who = p ? (p.agent ?? `${p.uid}`) + "|" + p.exe : e.source;
  let target: string;
  if (e.gate?.request_id !== undefined) target = `gate:${e.gate.request_id}:${e.gate.decision}`;
  else if (e.net) target = `net:${e.net.address ?? e.net.path ?? ""}:${e.net.port ?? ""}`;
  else if ((e.kind === "file" || e.kind === "external") && e.file) target = `file:${e.file.path}`;
  else if (p) target = `cmd:${createHash("sha1").update(p.argv.join("\0")).digest("hex")}`;
  else if (e.log) target = `log:${createHash("sha1").update(`${e.log.program}\0${e.log.message}`).digest("hex")}`;
  else if (e.external) target = `ext:${createHash("sha1").update(e.external.output).digest("hex")}`;
  else target = `sensor:${e.sensor?.condition ?? ""}${e.sensor?.key !== undefined ? `:${e.sensor.key}` : ""}`;
  return `${a.rule}|${who}|${target}`;
}
