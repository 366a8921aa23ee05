import { isUtf8 } from "node:buffer";
import { bytesToText } from "./values.js";

/** auditd never writes a record this long (MAX_AUDIT_MESSAGE_LENGTH is 8970); anything longer is not one. */
export const MAX_LINE_BYTES = 512 * 1024;
const HEAD_BYTES = 200;

/** A line too long to keep: its length and its first bytes, for the error message. */
export interface LongLine {
  long: true;
  bytes: number;
  head: string;
}

export type Line = string | LongLine;

export function isLongLine(l: Line): l is LongLine {
  return typeof l !== "string";
}

/**
 * Cuts a byte stream into lines without ever holding more than max bytes of one line: past
 * that, the rest of the line is counted and skipped (a 200 MB line without a newline costs
 * 512 KiB, not 2 GB). Bytes that are not UTF-8 become `\xNN` (values.ts), never U+FFFD, so
 * nothing read is lost or confused with something else.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;
  private skipping: LongLine | undefined;

  constructor(private readonly max = MAX_LINE_BYTES) {}

  /** Bytes read since the last complete line (for a cursor that must point at a line start). */
  get pendingBytes(): number {
    return this.skipping ? this.skipping.bytes : this.pending;
  }

  /** The bytes this splitter holds now: at most max (plus one chunk's worth, never kept). */
  get heldBytes(): number {
    return this.pending;
  }

  /** Splits a chunk; complete lines are appended to out. The chunk may be reused by the caller. */
  push(chunk: Buffer, out: Line[]): void {
    const first = chunk.indexOf(0x0a);
    if (first < 0) {
      this.hold(chunk);
      return;
    }
    this.hold(chunk.subarray(0, first));
    out.push(this.take());
    const last = chunk.lastIndexOf(0x0a);
    if (last > first) {
      const mid = chunk.subarray(first + 1, last);
      // The common case, a run of well-formed lines: each decoded on its own, so that a value cut
      // from a line keeps that line alive, not the whole chunk (V8 substrings share their parent).
      if (isUtf8(mid)) {
        let start = 0;
        for (let nl = mid.indexOf(0x0a); ; nl = mid.indexOf(0x0a, start)) {
          const end = nl < 0 ? mid.length : nl;
          out.push(end - start > this.max ? { long: true, bytes: end - start, head: mid.toString("utf8", start, start + HEAD_BYTES) } : mid.toString("utf8", start, end));
          if (nl < 0) break;
          start = nl + 1;
        }
      } else {
        let start = 0;
        for (let nl = mid.indexOf(0x0a); ; nl = mid.indexOf(0x0a, start)) {
          const b = mid.subarray(start, nl < 0 ? mid.length : nl);
          out.push(b.length > this.max ? { long: true, bytes: b.length, head: bytesToText(b.subarray(0, HEAD_BYTES)) } : bytesToText(b));
          if (nl < 0) break;
          start = nl + 1;
        }
      }
    }
    this.hold(chunk.subarray(last + 1));
  }

  /** The last line, when the input ends without a newline. */
  end(out: Line[]): void {
    if (this.pending > 0 || this.skipping) out.push(this.take());
  }

  private hold(b: Buffer): void {
    if (b.length === 0) return;
    if (this.skipping) {
      this.skipping.bytes += b.length;
      return;
    }
    if (this.pending + b.length > this.max) {
      const head = Buffer.concat([...this.parts, b.subarray(0, HEAD_BYTES)]).subarray(0, HEAD_BYTES);
      this.skipping = { long: true, bytes: this.pending + b.length, head: bytesToText(head) };
      this.parts = [];
      this.pending = 0;
      return;
    }
    // A copy: the caller reads into the same buffer again.
    this.parts.push(Buffer.from(b));
    this.pending += b.length;
  }

  private take(): Line {
    if (this.skipping) {
      const l = this.skipping;
      this.skipping = undefined;
      return l;
    }
    const b = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.pending = 0;
    return bytesToText(b);
  }
}

