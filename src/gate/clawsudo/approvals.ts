import { randomBytes } from "node:crypto";

export type RequestState = "pending" | "approved" | "rejected" | "expired" | "used";

/** What clawsudo asks the daemon to hold until a human answers. */
export interface SudoRequestInput {
  user: string;
  uid: number;
  pid: number;
  cwd: string;
  exe: string;
  argv: string[];
  hash: string;
  reason: string;
}

export interface SudoRequest extends SudoRequestInput {
  id: string;
  created: number;
  expires: number;
  state: RequestState;
  decided_by?: string;
}

export type Outcome = { ok: true; request: SudoRequest } | { ok: false; status: number; error: string };

/**
 * Pending clawsudo requests, held by the daemon (root) and answered only through its token-guarded
 * API. An approval is single-use and bound to the hash of the exact command it was asked for.
 * Bounded: past `max` live requests, or `perUser` from one caller, a new one is refused (counted),
 * never an old one dropped. The per-caller bound keeps an agent from flooding people with asks
 * (an ask alert is never rate-limited, or its id would be lost).
 */
export class ApprovalRegistry {
  private readonly requests = new Map<string, SudoRequest>();
  /** Requests that ran out of time and were not yet reported (whoever noticed it first). */
  private readonly expiredUnreported: SudoRequest[] = [];
  refused_full = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = 1000,
    private readonly perUser = 5,
  ) {}

  open(input: SudoRequestInput, timeoutMs: number): SudoRequest | { refused: string } {
    this.sweep();
    if (this.live() >= this.max) {
      this.refused_full++;
      return { refused: `too many pending clawsudo requests (${this.max})` };
    }
    if (this.live(input.uid) >= this.perUser) {
      this.refused_full++;
      return { refused: `${input.user} already has ${this.perUser} requests waiting for a human` };
    }
    let id: string;
    do id = randomBytes(4).toString("hex");
    while (this.requests.has(id));
    const t = this.now();
    const r: SudoRequest = { ...input, argv: [...input.argv], id, created: t, expires: t + timeoutMs, state: "pending" };
    this.requests.set(id, r);
    return r;
  }

  get(id: string): SudoRequest | undefined {
    this.sweep();
    return this.requests.get(id);
  }

  list(): SudoRequest[] {
    this.sweep();
    return [...this.requests.values()].filter((r) => r.state === "pending" || r.state === "approved");
  }

  approve(id: string, by: string): Outcome {
    return this.answer(id, "approved", by);
  }

  reject(id: string, by: string): Outcome {
    return this.answer(id, "rejected", by);
  }

  /** clawsudo takes its approval: once, and only for the command it was given for. */
  consume(id: string, hash: string): Outcome {
    const r = this.get(id);
    if (!r) return { ok: false, status: 404, error: `no request ${id}` };
    if (r.hash !== hash) return { ok: false, status: 409, error: `request ${id} was approved for another command` };
    if (r.state !== "approved") return { ok: false, status: 409, error: `request ${id} is ${r.state}, not approved` };
    r.state = "used";
    return { ok: true, request: r };
  }

  expire(id: string): Outcome {
    const r = this.get(id);
    if (!r) return { ok: false, status: 404, error: `no request ${id}` };
    if (r.state === "pending" || r.state === "approved") r.state = "expired";
    return { ok: true, request: r };
  }

  /** The requests that timed out since the last call: each is returned once, to be recorded once. */
  takeExpired(): SudoRequest[] {
    this.sweep();
    return this.expiredUnreported.splice(0);
  }

  /** Requests whose time ran out become expired; finished ones are forgotten after a while. */
  private sweep(): void {
    const t = this.now();
    for (const [id, r] of this.requests) {
      if ((r.state === "pending" || r.state === "approved") && t >= r.expires) {
        r.state = "expired";
        this.expiredUnreported.push(r);
      } else if (r.state !== "pending" && r.state !== "approved" && t - r.expires > 3_600_000) this.requests.delete(id);
    }
  }

  private live(uid?: number): number {
    let n = 0;
    for (const r of this.requests.values()) if ((r.state === "pending" || r.state === "approved") && (uid === undefined || r.uid === uid)) n++;
    return n;
  }

  private answer(id: string, to: "approved" | "rejected", by: string): Outcome {
    const r = this.get(id);
    if (!r) return { ok: false, status: 404, error: `no request ${id}` };
    if (r.state !== "pending") return { ok: false, status: 409, error: `request ${id} is already ${r.state}` };
    r.state = to;
    r.decided_by = by;
    return { ok: true, request: r };
  }
}
