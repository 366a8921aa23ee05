import { decodeValue } from "./values.js";

/** One audit record, fields decoded. `fields` keeps the raw part; `enriched` the translated part. */
export interface AuditRecord {
  type: string;
  /** Seconds.milliseconds as written, and the parts. */
  sec: number;
  ms: number;
  serial: number;
  node?: string;
  fields: Map<string, string>;
  /** Fields written quoted (literal strings) — needed to tell "a0" hex from literal. */
  quoted: Set<string>;
  /** Raw undecoded values of hex-capable fields, for PROCTITLE and SOCKADDR. */
  rawValues: Map<string, string>;
  enriched?: Map<string, string>;
  /** The original line. */
  text: string;
}

export interface RecordError {
  reason: string;
}

const GS = "\x1d";

/**
 * Parses one line of audit.log. Never throws: a line that is not an audit record comes back as
 * a RecordError saying why.
 */
export function parseRecord(line: string): AuditRecord | RecordError {
  let pos = 0;
  const n = line.length;
  if (n === 0) return { reason: "empty line" };
  let node: string | undefined;
  if (line.startsWith("node=")) {
    const sp = line.indexOf(" ", 5);
    if (sp < 0) return { reason: "node= without a record" };
    node = line.slice(5, sp);
    pos = sp + 1;
  }
  if (!line.startsWith("type=", pos)) return { reason: "no type= at start of line" };
  const typeEnd = line.indexOf(" ", pos + 5);
  if (typeEnd < 0) return { reason: "truncated after type" };
  const type = line.slice(pos + 5, typeEnd);
  if (type.length === 0) return { reason: "empty type" };
  pos = typeEnd + 1;
  if (!line.startsWith("msg=audit(", pos)) return { reason: "no msg=audit( after type" };
  pos += 10;
  const close = line.indexOf("):", pos);
  if (close < 0 || close - pos > 40) return { reason: "malformed msg=audit(...) timestamp" };
  const stamp = line.slice(pos, close);
  const dot = stamp.indexOf(".");
  const colon = stamp.indexOf(":");
  if (dot < 1 || colon < dot + 2) return { reason: "malformed timestamp (want sec.ms:serial)" };
  const sec = toUint(stamp, 0, dot);
  const ms = toUint(stamp, dot + 1, colon);
  const serial = toUint(stamp, colon + 1, stamp.length);
  if (sec < 0 || ms < 0 || serial < 0) return { reason: "non-numeric timestamp or serial" };
  pos = close + 2;

  const gs = line.indexOf(GS, pos);
  const rawEnd = gs < 0 ? n : gs;
  const rec: AuditRecord = { type, sec, ms, serial, fields: new Map(), quoted: new Set(), rawValues: new Map(), text: line };
  if (node !== undefined) rec.node = node;
  const err = parseFields(line, pos, rawEnd, rec, true);
  if (err) return { reason: err };
  if (gs >= 0) {
    const enriched: AuditRecord = { ...rec, fields: new Map(), quoted: new Set(), rawValues: new Map() };
    parseFields(line, gs + 1, n, enriched, false);
    rec.enriched = enriched.fields;
  }
  return rec;
}

/** Scans `key=value` pairs; values quoted with " or ', or bare up to the next space. */
function parseFields(line: string, start: number, end: number, rec: AuditRecord, decode: boolean): string | undefined {
  let pos = start;
  while (pos < end) {
    while (pos < end && line.charCodeAt(pos) === 32) pos++;
    if (pos >= end) break;
    const eq = line.indexOf("=", pos);
    if (eq < 0 || eq >= end) {
      // A bare word with no value (seen in some USER_* messages): keep it, don't fail the record.
      const sp = line.indexOf(" ", pos);
      const wEnd = sp < 0 || sp > end ? end : sp;
      rec.fields.set(line.slice(pos, wEnd), "");
      pos = wEnd;
      continue;
    }
    const key = line.slice(pos, eq);
    pos = eq + 1;
    const q = line.charCodeAt(pos);
    if (q === 34 /* " */) {
      const close = line.indexOf('"', pos + 1);
      if (close < 0 || close >= end) return `unterminated quoted value for ${key}`;
      rec.fields.set(key, line.slice(pos + 1, close));
      rec.quoted.add(key);
      pos = close + 1;
    } else if (q === 39 /* ' */) {
      // USER_* records carry msg='k=v k=v ...': lift the inner fields to the top level. A quote
      // inside a double-quoted value (acct="it's") does not end the message.
      const close = singleQuoteEnd(line, pos + 1, end);
      const inner = close < 0 || close >= end ? end : close;
      const err = parseFields(line, pos + 1, inner, rec, decode);
      if (err) return err;
      if (!rec.fields.has(key)) rec.fields.set(key, line.slice(pos + 1, inner));
      pos = inner + 1;
    } else {
      const sp = line.indexOf(" ", pos);
      const vEnd = sp < 0 || sp > end ? end : sp;
      const raw = line.slice(pos, vEnd);
      if (decode) {
        const v = decodeValue(rec.type, key, raw, false);
        if (v !== raw) rec.rawValues.set(key, raw);
        rec.fields.set(key, v);
      } else rec.fields.set(key, raw);
      pos = vEnd;
    }
  }
  return undefined;
}

function singleQuoteEnd(line: string, from: number, end: number): number {
  let inDouble = false;
  for (let i = from; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === 34) inDouble = !inDouble;
    else if (c === 39 && !inDouble) return i;
  }
  return -1;
}

function toUint(s: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

export function isRecordError(r: AuditRecord | RecordError): r is RecordError {
  return (r as RecordError).reason !== undefined;
}
