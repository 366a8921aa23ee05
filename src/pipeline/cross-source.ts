import type { Event } from "../events/index.js";

// auditd and the eBPF sensor both see an exec, an open of a watched file, a connect. The pipeline
// judges the call once: the first copy to arrive is judged, the other is enriched (the process
// table learns from it) and counted, not judged again. Unless the first copy lacked what judging
// needs (the eBPF sensor reads the executable and working folder from /proc, and a process that
// exited first leaves them unknown): then the later, fuller copy is judged too, for the rules
// the first copy could not meet; a rule the first copy already raised is not raised again.

/** How long a copy waits for its twin from the other source. */
const WINDOW_MS = 10_000;
/** Copies waiting, at most; the oldest goes first. */
const MAX_WAITING = 50_000;
/** The sources whose events are copies of the same calls. */
const PAIRED = new Set(["auditd", "ebpf"]);

interface Waiting {
  source: string;
  ts: number;
  id: string;
  complete: boolean;
  /** Copies with this key still waiting from that source (the same call made twice). */
  count: number;
  /** The rules the first copy raised. */
  raised: Set<string>;
}

/** What to do with an event: judge it, judge it except for rules already raised, or not at all. */
export type CrossSourceVerdict = { repeat: true } | { repeat: false; alreadyRaised?: ReadonlySet<string> };

const JUDGE: CrossSourceVerdict = { repeat: false };
const REPEAT: CrossSourceVerdict = { repeat: true };

export interface CrossSourceStats {
  /** Copies not judged: their twin from the other source was. */
  repeats: number;
  /** Later copies judged anyway: the first lacked the executable or working folder. */
  rejudged: number;
  waiting: number;
  evicted: number;
}

/** The call an event is a copy of; undefined for events no other source sees. */
export function callKey(e: Event): string | undefined {
  const p = e.process;
  if (!p || p.pid === undefined) return undefined;
  const ok = e.syscall?.success === false ? "0" : "1";
  switch (e.kind) {
    case "exec":
      // argv[0] only: the eBPF copy cuts long arguments and auditd's may be cut at 128 bytes.
      return `x|${p.pid}|${ok}|${(p.argv[0] ?? "").slice(0, 64)}`;
    case "file":
      return e.file && (e.syscall?.name === "openat" || e.syscall?.name === "open") ? `f|${p.pid}|${ok}|${e.file.items[0]?.named ?? e.file.path}` : undefined;
    case "net":
      return e.net?.address !== undefined && e.syscall?.name === "connect" ? `n|${p.pid}|${e.net.address}|${e.net.port ?? ""}` : undefined;
    default:
      return undefined;
  }
}

function complete(e: Event): boolean {
  const p = e.process!;
  return p.exe !== undefined && (e.kind !== "exec" || p.cwd !== undefined);
}

export class CrossSourceMatcher {
  readonly stats: CrossSourceStats = { repeats: 0, rejudged: 0, waiting: 0, evicted: 0 };
  private readonly waiting = new Map<string, Waiting>();
  /** The copy last admitted as a first copy, which raised() speaks of. */
  private current: Waiting | undefined;

  /** Whether the event is a copy of a call already judged; the event is marked with that copy's id. */
  isRepeat(e: Event): boolean {
    return this.verdict(e).repeat;
  }

  /** The verdict on an event; a later copy is marked with the first copy's id. */
  verdict(e: Event): CrossSourceVerdict {
    this.current = undefined;
    if (!PAIRED.has(e.source)) return JUDGE;
    const key = callKey(e);
    if (key === undefined) return JUDGE;
    const now = e.ts;
    const w = this.waiting.get(key);
    if (w && now - w.ts <= WINDOW_MS && w.ts - now <= WINDOW_MS) {
      if (w.source !== e.source) {
        const first = w;
        if (--w.count === 0) this.waiting.delete(key);
        this.stats.waiting = this.waiting.size;
        e.seen_first_by = { source: first.source, event_id: first.id };
        if (first.complete) {
          this.stats.repeats++;
          return REPEAT;
        }
        this.stats.rejudged++;
        return { repeat: false, alreadyRaised: first.raised };
      }
      w.count++;
      w.ts = now;
      this.current = w;
      return JUDGE;
    }
    this.waiting.delete(key);
    // Copies past their window will find no twin (the other source does not watch that call).
    for (const [k, old] of this.waiting) {
      if (now - old.ts <= WINDOW_MS) break;
      this.waiting.delete(k);
    }
    const entry: Waiting = { source: e.source, ts: now, id: e.id, complete: complete(e), count: 1, raised: new Set() };
    this.current = entry;
    this.waiting.set(key, entry);
    if (this.waiting.size > MAX_WAITING) {
      this.waiting.delete(this.waiting.keys().next().value!);
      this.stats.evicted++;
    }
    this.stats.waiting = this.waiting.size;
    return JUDGE;
  }

  /** The rules the event just given to verdict() raised, for its twin to skip. */
  raised(rules: Iterable<string>): void {
    if (this.current) for (const r of rules) this.current.raised.add(r);
  }
}
