/**
 * Event ids: a monotonic 16-hex-digit counter per daemon run, the same id in the audit chain,
 * the API and every webhook payload. BigInt so the counter never wraps into
 * floating point imprecision on a long-lived daemon.
 */
export class EventIdGenerator {
  private next: bigint;

  constructor(start = 0n) {
    this.next = start;
  }

  take(): string {
    const id = this.next.toString(16).padStart(16, "0");
    this.next += 1n;
    return id;
  }

  peek(): string {
    return this.next.toString(16).padStart(16, "0");
  }
}
