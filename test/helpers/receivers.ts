import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface Received {
  at: number;
  path: string;
  body: unknown;
  raw: string;
}

export type Answer = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number };

/** How the real services answer a good request. */
export const ANSWERS = {
  slack: { status: 200, body: "ok", headers: { "Content-Type": "text/html" } },
  discord: { status: 204 },
  telegram: { status: 200, body: JSON.stringify({ ok: true, result: { message_id: 1, chat: { id: 42 }, text: "x" } }), headers: { "Content-Type": "application/json" } },
  webhook: { status: 200, body: "{}" },
  slack429: { status: 429, body: "rate_limited", headers: { "Retry-After": "1" } },
  discord429: { status: 429, body: JSON.stringify({ message: "You are being rate limited.", retry_after: 1.0, global: false }), headers: { "Content-Type": "application/json" } },
  telegram429: { status: 429, body: JSON.stringify({ ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } }), headers: { "Content-Type": "application/json" } },
  error500: { status: 500, body: "internal error" },
} satisfies Record<string, Answer>;

/** A real HTTP receiver on 127.0.0.1 that records what it gets and answers from a script. */
export class Receiver {
  readonly got: Received[] = [];
  private server: Server | undefined;
  port = 0;
  /** Answers used in order; when empty, `normal` answers. */
  script: Answer[] = [];

  constructor(public normal: Answer) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(port, "127.0.0.1", r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  url(path = "/hook"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
    this.server = undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // keep the text
      }
      this.got.push({ at: Date.now(), path: req.url ?? "", body, raw });
      const a = this.script.shift() ?? this.normal;
      setTimeout(() => {
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.status === 204 ? undefined : (a.body ?? ""));
      }, a.delayMs ?? 0);
    });
  }
}
