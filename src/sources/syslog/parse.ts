// A line rsyslog wrote: `TIMESTAMP HOST PROGRAM[PID]: MESSAGE`, the timestamp RFC 3339 (Debian's
// default since 12) or the older `Mmm dd hh:mm:ss`. Lines that are not in that shape (a message
// continued on the next line, rsyslog's own markers) are errors with the reason, counted.
import type { Event, LogInfo } from "../../events/index.js";

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\s+(\S+)\s+(.*)$/;
const BSD = /^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\s+(\S+)\s+(.*)$/;
const TAG = /^([^\s:[\]]{1,64})(?:\[(\d+)\])?:\s?(.*)$/s;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export type SyslogParse = { ok: true; event: Event } | { ok: false; error: string };

export function parseSyslogLine(line: string, ctx: { id: () => string; nodeId: string; now: number; file: string; log: LogInfo["log"] }): SyslogParse {
  let ts: number;
  let host: string;
  let rest: string;
  const r = RFC3339.exec(line);
  if (r) {
    ts = Date.parse(r[1]!);
    host = r[2]!;
    rest = r[3]!;
  } else {
    const b = BSD.exec(line);
    if (!b) return { ok: false, error: "not a syslog line (TIMESTAMP HOST PROGRAM[PID]: MESSAGE)" };
    // The old format has no year: the current one, or last year's for a date ahead of now.
    const [mon, day, time] = b[1]!.split(/ +/) as [string, string, string];
    const now = new Date(ctx.now);
    const at = (y: number) => Date.UTC(y, MONTHS.indexOf(mon), Number(day), ...(time.split(":").map(Number) as [number, number, number]));
    ts = at(now.getUTCFullYear());
    if (ts > ctx.now + 86_400_000) ts = at(now.getUTCFullYear() - 1);
    host = b[2]!;
    rest = b[3]!;
  }
  if (!Number.isFinite(ts)) return { ok: false, error: "timestamp: not a date" };
  const t = TAG.exec(rest);
  if (!t) return { ok: false, error: "no PROGRAM: before the message" };
  const log: LogInfo = { log: ctx.log, file: ctx.file, host, program: t[1]!, message: t[3]! };
  if (t[2] !== undefined) log.pid = Number(t[2]);
  return { ok: true, event: { id: ctx.id(), ts, source: "syslog", kind: "log", node_id: ctx.nodeId, fidelity: "userspace", log } };
}
