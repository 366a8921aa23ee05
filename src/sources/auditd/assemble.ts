import type { Event } from "../../events/index.js";
import type { EventIdGenerator } from "../../events/index.js";
import { parseRecord, isRecordError, type AuditRecord } from "./record.js";
import { normalize } from "./normalize.js";
import { MAX_LINE_BYTES, type Line } from "./lines.js";

export interface AssemblerOptions {
  nodeId: string;
  ids: EventIdGenerator;
  /** An event whose EOE never comes is emitted this long after its first record. */
  eoeTimeoutMs?: number;
  keepRaw?: boolean;
  /** Open events kept at most; past it the oldest is emitted as it is (counted). */
  maxOpen?: number;
  /** Longest line accepted; a longer one is a parse error (counted, with an excerpt). */
  maxLineLength?: number;
  /**
   * Offline mode (parse-audit, replay): time is the records' own timestamps, and events
   * whose EOE is overdue are flushed as the log moves on, so output is deterministic.
   */
  recordClock?: boolean;
}

export interface AssemblerStats {
  lines: number;
  records: number;
  events: number;
  parseErrors: number;
  /** Events emitted without their EOE: timed out, evicted, or flushed at end. */
  forcedFlushes: number;
  /** EOE records that arrived after their event was complete (counted, not made into events). */
  lateEoe: number;
}

export interface ParseErrorInfo {
  line: number;
  reason: string;
  excerpt: string;
}

export interface AuditAssembler {
  /** One line (a LongLine is one the reader cut short: counted as a parse error). */
  push(line: Line, nowMs: number): Event[];
  tick(nowMs: number): Event[];
  end(): Event[];
  readonly stats: AssemblerStats;
  /** The first parse errors of the input (a person fixes the first one first), at most 100. */
  readonly errors: readonly ParseErrorInfo[];
  /** The newest parse errors, at most 10 (what a live daemon shows). */
  readonly recentErrors: readonly ParseErrorInfo[];
  /** Events still waiting for their last record. */
  readonly openCount: number;
}

interface Open {
  records: AuditRecord[];
  firstSeen: number;
  hasSyscall: boolean;
}

const RECENT_KEYS = 256;

const MAX_ERROR_SAMPLES = 100;

/**
 * Record types that are a whole event by themselves: user-space messages (1100-1299, 2100-2999)
 * and the daemon's own. Kernel records of a syscall wait for their EOE.
 */
function isStandalone(type: string): boolean {
  if (type.startsWith("USER_") || type.startsWith("DAEMON_") || type.startsWith("CRED_") || type.startsWith("CRYPTO_")) return true;
  switch (type) {
    case "LOGIN": case "ADD_USER": case "DEL_USER": case "ADD_GROUP": case "DEL_GROUP": case "GRP_MGMT": case "ACCT_LOCK": case "ACCT_UNLOCK":
    case "SERVICE_START": case "SERVICE_STOP": case "SYSTEM_BOOT": case "SYSTEM_SHUTDOWN": case "SYSTEM_RUNLEVEL":
    case "ANOM_LOGIN_FAILURES": case "ANOM_LOGIN_TIME": case "ANOM_LOGIN_SESSIONS": case "ANOM_LOGIN_LOCATION": case "ANOM_MAX_DAC": case "ANOM_MAX_MAC":
    case "SOFTWARE_UPDATE": case "USYS_CONFIG": case "CHGRP_ID": case "CHUSER_ID": case "ROLE_ASSIGN": case "ROLE_REMOVE": case "TEST": case "TRUSTED_APP":
      return true;
    default:
      return type.startsWith("UNKNOWN[") && isUserRange(type);
  }
}

function isUserRange(type: string): boolean {
  const n = Number(type.slice(8, -1));
  return (n >= 1100 && n <= 1299) || (n >= 2100 && n <= 2999);
}

/**
 * Groups records into events by (timestamp, serial), with interleaving, EOE, a timeout for
 * events that never get one, and a bound on open events. Pure: the clock is passed in.
 * Every record pushed ends up in exactly one emitted event, or is counted as a parse error.
 */
export function createAuditAssembler(opts: AssemblerOptions): AuditAssembler {
  const timeout = opts.eoeTimeoutMs ?? 2000;
  const maxOpen = opts.maxOpen ?? 4096;
  const maxLine = opts.maxLineLength ?? MAX_LINE_BYTES;
  const open = new Map<string, Open>();
  const stats: AssemblerStats = { lines: 0, records: 0, events: 0, parseErrors: 0, forcedFlushes: 0, lateEoe: 0 };
  // auditd 3.x does not write EOE to its log; the kernel writes PROCTITLE last before EOE, so
  // until the input shows it carries EOEs, a syscall event is complete at its PROCTITLE.
  let sawEoe = false;
  const recent = new Set<string>();
  const remember = (key: string): void => {
    recent.add(key);
    if (recent.size > RECENT_KEYS) recent.delete(recent.values().next().value!);
  };
  const errors: ParseErrorInfo[] = [];
  const recentErrors: ParseErrorInfo[] = [];
  let latest = 0;

  const emit = (records: AuditRecord[], out: Event[]): void => {
    stats.events++;
    out.push(normalize(records, { nodeId: opts.nodeId, id: opts.ids.take(), keepRaw: opts.keepRaw }));
  };

  const fail = (reason: string, line: string): void => {
    stats.parseErrors++;
    const info = { line: stats.lines, reason, excerpt: excerpt(line) };
    if (errors.length < MAX_ERROR_SAMPLES) errors.push(info);
    if (recentErrors.length >= 10) recentErrors.shift();
    recentErrors.push(info);
  };

  return {
    stats,
    errors,
    recentErrors,
    get openCount() {
      return open.size;
    },
    push(line, nowMs) {
      stats.lines++;
      const out: Event[] = [];
      if (typeof line !== "string") {
        fail(`line of ${line.bytes} bytes is longer than ${maxLine}`, line.head);
        return out;
      }
      if (line.length > maxLine) {
        fail(`line of ${line.length} characters is longer than ${maxLine}`, line);
        return out;
      }
      if (line.length === 0 || (line.length === 1 && line === "\r")) {
        stats.lines--; // blank lines are not input
        return out;
      }
      const rec = parseRecord(line.endsWith("\r") ? line.slice(0, -1) : line);
      if (isRecordError(rec)) {
        fail(rec.reason, line);
        return out;
      }
      stats.records++;
      if (opts.recordClock) {
        const t = rec.sec * 1000 + rec.ms;
        if (t > latest) latest = t;
        nowMs = latest;
        if ((stats.records & 1023) === 0) out.push(...this.tick(latest));
      }
      const key = `${rec.sec}.${rec.ms}:${rec.serial}`;
      const cur = open.get(key);
      if (rec.type === "EOE") {
        sawEoe = true;
        if (cur) {
          open.delete(key);
          cur.records.push(rec);
          remember(key);
          emit(cur.records, out);
        } else if (recent.has(key)) {
          recent.delete(key);
          stats.lateEoe++;
        } else emit([rec], out); // an EOE with nothing before it: still accounted for
        return out;
      }
      if (!cur && isStandalone(rec.type)) {
        emit([rec], out);
        return out;
      }
      if (cur) {
        cur.records.push(rec);
        if (rec.type === "SYSCALL") cur.hasSyscall = true;
        if (rec.type === "PROCTITLE" && cur.hasSyscall && !sawEoe) {
          open.delete(key);
          remember(key);
          emit(cur.records, out);
        }
      } else {
        open.set(key, { records: [rec], firstSeen: nowMs, hasSyscall: rec.type === "SYSCALL" });
        if (open.size > maxOpen) {
          const oldest = open.keys().next().value!;
          const o = open.get(oldest)!;
          open.delete(oldest);
          stats.forcedFlushes++;
          emit(o.records, out);
        }
      }
      return out;
    },
    tick(nowMs) {
      const out: Event[] = [];
      for (const [key, o] of open) {
        // Map order is insertion order: the first one still young ends the scan.
        if (nowMs - o.firstSeen < timeout) break;
        open.delete(key);
        stats.forcedFlushes++;
        emit(o.records, out);
      }
      return out;
    },
    end() {
      const out: Event[] = [];
      for (const o of open.values()) {
        stats.forcedFlushes++;
        emit(o.records, out);
      }
      open.clear();
      return out;
    },
  };
}

function excerpt(line: string): string {
  const s = line.length > 120 ? line.slice(0, 120) + "…" : line;
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0").slice(-2)}`);
}
