import { createHmac, timingSafeEqual } from "node:crypto";

export const GENESIS_PREV = "0".repeat(64);
const MAC_FIELD = ',"mac":"';

/** What a chain line holds besides seq, prev and mac. */
export interface EntryBody {
  ts: number;
  /** alert (the default), repair, quarantine, release, decision, start, stop, ... */
  type: string;
  event_id?: string;
  alert?: unknown;
  data?: unknown;
}

export interface ChainEntry extends EntryBody {
  seq: number;
  prev: string;
  mac: string;
}

/**
 * One line: the JSON of {seq, ts, type, event_id, alert, data, prev} with `"mac"` appended as
 * the last member. The MAC covers the exact bytes before it, so verifying needs no
 * re-serialisation and any edit to any byte shows.
 */
export function formatLine(key: Buffer, seq: number, prev: string, body: EntryBody): { line: string; mac: string } {
  const obj: Record<string, unknown> = { seq, ts: body.ts, type: body.type };
  if (body.event_id !== undefined) obj.event_id = body.event_id;
  if (body.alert !== undefined) obj.alert = body.alert;
  if (body.data !== undefined) obj.data = body.data;
  obj.prev = prev;
  const head = JSON.stringify(obj).slice(0, -1);
  const mac = hmac(key, head);
  return { line: `${head}${MAC_FIELD}${mac}"}`, mac };
}

export type LineCheck = { ok: true; entry: ChainEntry } | { ok: false; reason: string };

/** Checks one line's form and MAC (not its place in the chain). */
export function checkLine(key: Buffer, line: string): LineCheck {
  const i = line.lastIndexOf(MAC_FIELD);
  if (i < 0 || !line.endsWith('"}')) return { ok: false, reason: "not a chain entry (no mac at the end)" };
  const head = line.slice(0, i);
  const mac = line.slice(i + MAC_FIELD.length, -2);
  let entry: ChainEntry;
  try {
    entry = JSON.parse(line) as ChainEntry;
  } catch {
    return { ok: false, reason: "not valid JSON" };
  }
  if (!/^[0-9a-f]{64}$/.test(mac) || !safeEqual(mac, hmac(key, head))) return { ok: false, reason: "bad MAC (the line was changed, or written with another key)" };
  if (!Number.isSafeInteger(entry.seq) || typeof entry.prev !== "string") return { ok: false, reason: "missing seq or prev" };
  return { ok: true, entry };
}

export function hmac(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text).digest("hex");
}

function safeEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export interface Checkpoint {
  seq: number;
  head: string;
  ts: number;
  mac: string;
}

export function checkpointMac(key: Buffer, seq: number, head: string, ts: number): string {
  return hmac(key, `clawav-checkpoint|${seq}|${head}|${ts}`);
}
