// One line of `journalctl --output=json --all`: an entry as a JSON object of its fields. A field's
// value is a string when it is printable UTF-8, an array of byte numbers when it is not, and an
// array of such values when the entry carries the field more than once. Lines that are not
// entries (not JSON, no MESSAGE) are errors with the reason, counted by the source.
import type { Event, LogInfo } from "../../events/index.js";

export type JournalParse = { ok: true; event: Event; cursor?: string } | { ok: false; error: string; cursor?: string };

// Facility numbers (syslog.h): 4 auth, 10 authpriv; the rest is what rsyslog's syslog file keeps.
const AUTH_FACILITIES = new Set([4, 10]);

export function parseJournalLine(line: string, ctx: { id: () => string; nodeId: string }): JournalParse {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, error: `not JSON: ${excerpt(line)}` };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, error: `not a journal entry (a JSON ${Array.isArray(v) ? "array" : v === null ? "null" : typeof v})` };
  const f = v as Record<string, unknown>;
  // The cursor is the entry's place in the journal whether or not it makes an event: a refused
  // entry must not be read (and counted) again after a restart.
  const cursor = typeof f.__CURSOR === "string" && f.__CURSOR !== "" ? f.__CURSOR : undefined;
  const fail = (error: string): JournalParse => (cursor !== undefined ? { ok: false, error, cursor } : { ok: false, error });
  if (!("MESSAGE" in f)) return fail("entry without MESSAGE");
  const values = fieldValues(f.MESSAGE);
  if (values === undefined) return fail("MESSAGE: neither text nor bytes");
  // A field given twice keeps both values: what a program logged is not chosen for it.
  const message = values.join("\n");
  const usec = first(f.__REALTIME_TIMESTAMP);
  const ts = usec !== undefined && /^\d+$/.test(usec) ? Number(usec) / 1000 : NaN;
  if (!Number.isFinite(ts)) return fail("entry without a valid __REALTIME_TIMESTAMP");
  const facility = Number(first(f.SYSLOG_FACILITY));
  const log: LogInfo = {
    log: AUTH_FACILITIES.has(facility) ? "auth" : "syslog",
    file: "journal",
    program: first(f.SYSLOG_IDENTIFIER) ?? first(f._COMM) ?? "?",
    message,
  };
  const host = first(f._HOSTNAME);
  if (host !== undefined) log.host = host;
  // SYSLOG_PID is whatever the program wrote; the kernel's _PID stands in when it is not a pid.
  const pid = [first(f.SYSLOG_PID), first(f._PID)].find((p) => p !== undefined && /^\d{1,10}$/.test(p));
  if (pid !== undefined) log.pid = Number(pid);
  const event: Event = { id: ctx.id(), ts, source: "journald", kind: "log", node_id: ctx.nodeId, fidelity: "userspace", log };
  return cursor !== undefined ? { ok: true, event, cursor } : { ok: true, event };
}

/** A field's values as text; undefined when it is of no shape journalctl writes. */
function fieldValues(v: unknown): string[] | undefined {
  const one = fieldValue(v);
  if (one !== undefined) return [one];
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const out: string[] = [];
  for (const x of v) {
    const s = fieldValue(x);
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

function fieldValue(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) return decodeBytes(v as number[]);
  return undefined;
}

function first(v: unknown): string | undefined {
  return fieldValues(v)?.[0];
}

/**
 * Bytes as text: each well-formed UTF-8 sequence as its character, every other byte as \xNN and
 * a backslash as \\, so the text says exactly which bytes were written and no byte can pass for
 * text (an escape written as text reads \\xNN, a real stray byte \xNN).
 */
export function decodeBytes(bytes: readonly number[]): string {
  let out = "";
  let run = 0;
  const flush = (to: number) => {
    if (to > run) out += Buffer.from(bytes.slice(run, to)).toString("utf8");
  };
  let i = 0;
  while (i < bytes.length) {
    const n = utf8Length(bytes, i);
    if (n === 0 || bytes[i] === 0x5c) {
      flush(i);
      out += n === 0 ? `\\x${bytes[i]!.toString(16).padStart(2, "0")}` : "\\\\";
      run = i + 1;
      i++;
    } else i += n;
  }
  flush(i);
  return out;
}

/** The length of the well-formed UTF-8 sequence at i (Unicode's table 3-7), 0 when there is none. */
function utf8Length(b: readonly number[], i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    // No overlong forms (E0 needs A0..BF), no UTF-16 surrogates (ED needs 80..9F).
    const ok = c === 0xe0 ? cont(1, 0xa0) : c === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    return ok && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    // No overlong forms (F0 needs 90..BF), nothing past U+10FFFF (F4 needs 80..8F).
    const ok = c === 0xf0 ? cont(1, 0x90) : c === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    return ok && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function excerpt(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}
