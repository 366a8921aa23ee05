// How an alert looks to a SIEM: an RFC 5424 syslog message, its fields in clawav's own
// structured-data element, or a CEF line (ArcSight's Common Event Format) carried as its MSG.
// Pure functions: no clock, no I/O.
import { basename } from "node:path";

import type { Alert, Severity } from "../events/index.js";

/**
 * The SD-ID of clawav's element. 32473 is the enterprise number RFC 5612 sets aside for
 * documentation: clawav has no private enterprise number of its own, and an SD-ID with "@" is
 * the form RFC 5424 leaves to anyone (the IANA-registered names carry no "@").
 */
export const SD_ID = "clawav@32473";

/** local4: clawav's default facility, kept away from the facilities the system's own daemons use. */
export const DEFAULT_FACILITY = 20;

const NIL = "-";

// RFC 5424 section 6.2.1: emergency 0 .. debug 7.
const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, warning: 4, info: 6 };
// CEF's 0-10 scale: Low is 0-3, Medium 4-6, High 7-8, Very-High 9-10.
const CEF_SEVERITY: Record<Severity, number> = { info: 3, warning: 6, critical: 9 };

export interface Rfc5424Options {
  hostname?: string;
  appName?: string;
  procId?: string | number;
  /** 0-23; local4 (20) when unset. */
  facility?: number;
  /** clawav's structured-data element; false sends NILVALUE (the CEF form carries its fields in MSG). */
  structured: boolean;
  /** How many alerts the aggregator folded into this one's entry so far. */
  count?: number;
  /** MSG in place of the alert's summary (the CEF line). */
  msg?: string;
}

/**
 * A header field (HOSTNAME, APP-NAME, PROCID, MSGID) as RFC 5424 section 6 allows it: printable
 * US-ASCII without spaces, at most `max` characters, NILVALUE when nothing is left. Anything else
 * becomes "_" rather than vanishing, so that two distinct rule names rarely fold into one.
 */
export function headerField(value: string | number | undefined, max: number): string {
  if (value === undefined) return NIL;
  let out = "";
  for (const ch of String(value)) {
    if (out.length >= max) break;
    const c = ch.codePointAt(0)!;
    out += c >= 33 && c <= 126 ? ch : "_";
  }
  return out === "" ? NIL : out;
}

/** PARAM-VALUE escaping, RFC 5424 section 6.3.3: `"`, `\` and `]` get a backslash. */
export function escapeParamValue(v: string): string {
  return flattenControls(v).replace(/["\\\]]/g, (c) => `\\${c}`);
}

/**
 * Line breaks and other control characters as spaces. They are legal in a PARAM-VALUE and in MSG,
 * but a collector that relays with newline framing (RFC 6587's non-transparent framing) splits
 * the message at a line break, rsyslog shows the rest as "#011", and a terminal escape sequence
 * from an agent's command line has no business reaching an analyst's console.
 */
function flattenControls(s: string): string {
  return s.replace(/\r\n|[\x00-\x1f\x7f\u2028\u2029]/g, " ");
}

/** ISO 8601 UTC with milliseconds, or NILVALUE for a time RFC 5424's four-digit year cannot hold. */
function timestamp(ms: number): string {
  if (!Number.isFinite(ms)) return NIL;
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  return Number.isNaN(d.getTime()) || y < 0 || y > 9999 ? NIL : d.toISOString();
}

export function structuredData(alert: Alert, count?: number): string {
  const params: [string, string | undefined][] = [
    ["event_id", alert.event_id],
    ["rule", alert.rule],
    ["severity", alert.severity],
    ["category", alert.category],
    ["engine", alert.engine],
    ["node_id", alert.node_id],
    ["policy_version", alert.policy_version],
    ["mitre", alert.mitre && alert.mitre.length > 0 ? alert.mitre.join(",") : undefined],
    ["action", alert.action],
    ["count", count === undefined ? undefined : String(count)],
  ];
  const body = params
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeParamValue(v)}"`)
    .join("");
  return `[${SD_ID}${body}]`;
}

/** One RFC 5424 message (without framing) for an alert. */
export function rfc5424(alert: Alert, opts: Rfc5424Options): string {
  const facility = opts.facility ?? DEFAULT_FACILITY;
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) throw new RangeError(`syslog facility must be an integer 0-23, not ${facility}`);
  const pri = facility * 8 + SYSLOG_SEVERITY[alert.severity];
  const header = [
    `<${pri}>1`,
    timestamp(alert.ts),
    headerField(opts.hostname, 255),
    headerField(opts.appName ?? "clawav", 48),
    headerField(opts.procId, 128),
    headerField(alert.rule, 32),
  ].join(" ");
  const sd = opts.structured ? structuredData(alert, opts.count) : NIL;
  const msg = flattenControls(opts.msg ?? alert.summary);
  return msg === "" ? `${header} ${sd}` : `${header} ${sd} ${msg}`;
}

/** A CEF header field: `\` and `|` escaped, and no line breaks (the header must stay on one line). */
export function escapeCefHeader(v: string): string {
  return flattenControls(v).replace(/[\\|]/g, (c) => `\\${c}`);
}

/** A CEF extension value: `\` and `=` escaped, line breaks as `\n` and `\r`, other control characters as spaces. */
export function escapeCefValue(v: string): string {
  return v.replace(/[\\=\r\n]/g, (c) => (c === "\r" ? "\\r" : c === "\n" ? "\\n" : `\\${c}`)).replace(/[\x00-\x1f\x7f\u2028\u2029]/g, " ");
}

/** One CEF line for an alert. `version` is clawav's (the Device Version). */
export function cef(alert: Alert, version: string, count?: number): string {
  const ev = alert.event;
  const p = ev.process;
  const ext: [string, string | number | undefined][] = [
    ["rt", Number.isFinite(alert.ts) ? Math.trunc(alert.ts) : undefined],
    ["externalId", alert.event_id],
    ["cat", alert.category],
    ["dvchost", alert.node_id],
    ["act", alert.action],
    ["cnt", count],
    ["suser", p?.user ?? p?.auid_user],
    ["suid", p?.uid],
    // The user the process acts as, when it differs from the one that ran it (sudo, setuid).
    ["duser", p?.euid_user !== undefined && p.euid_user !== p.user ? p.euid_user : undefined],
    ["spid", p?.pid],
    ["sproc", p?.exe],
    ["fname", ev.file ? basename(ev.file.path) : undefined],
    ["filePath", ev.file?.path],
    ["dst", ev.net?.address],
    ["dpt", ev.net?.port],
    ["dhost", ev.net?.resolved_host ?? ev.net?.host],
    ["cs1Label", alert.policy_version ? "policy_version" : undefined],
    ["cs1", alert.policy_version],
    ["cs2Label", alert.mitre && alert.mitre.length > 0 ? "mitre" : undefined],
    ["cs2", alert.mitre && alert.mitre.length > 0 ? alert.mitre.join(",") : undefined],
    ["cs3Label", alert.engine ? "engine" : undefined],
    ["cs3", alert.engine],
    // Last: a message cut to the collector's size limit loses the end of the summary, not a field.
    ["msg", alert.summary],
  ];
  const extension = ext
    .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== "")
    .map(([k, v]) => `${k}=${escapeCefValue(String(v))}`)
    .join(" ");
  const header = ["CEF:0", "clawav", "clawav", version, alert.rule, alert.summary, String(CEF_SEVERITY[alert.severity])].map((h, i) => (i === 0 ? h : escapeCefHeader(h)));
  return `${header.join("|")}|${extension}`;
}

/**
 * `s` cut to at most `max` UTF-8 bytes on a character boundary. A cut that leaves a lone escaping
 * backslash at the end loses it too, so that the last field does not end in half an escape.
 */
export function cutUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s, "utf8") <= max) return s;
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > max) break;
    bytes += n;
    end += ch.length;
  }
  let out = s.slice(0, end);
  const trailing = /\\+$/.exec(out)?.[0].length ?? 0;
  if (trailing % 2 === 1) out = out.slice(0, -1);
  return out;
}

/** RFC 6587 section 3.4.1 (and RFC 5425): octet counting, `<length> <message>`. */
export function frame(msg: string): Buffer {
  const body = Buffer.from(msg, "utf8");
  return Buffer.concat([Buffer.from(`${body.length} `, "ascii"), body]);
}
