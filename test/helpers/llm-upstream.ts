// A stand-in for the providers, on loopback over TLS with a CA made for the test: Anthropic
// Messages, OpenAI Chat Completions and Responses, each plain and streamed (SSE), with errors on
// request. It keeps every request it was sent, raw, to compare with what the agent sent.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCa {
  dir: string;
  caFile: string;
  cert: string;
  key: string;
}

/** A CA and a server certificate for 127.0.0.1 and localhost, by openssl. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "clawav-llm-ca-"));
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=clawav test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  const ext = join(dir, "ext.cnf");
  execFileSync("sh", ["-c", `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > ${ext}`]);
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", ext]);
  return { dir, caFile: join(dir, "ca.pem"), cert: readFileSync(join(dir, "server.pem"), "utf8"), key: readFileSync(join(dir, "server.key"), "utf8") };
}

export interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export const REAL_ANTHROPIC = "sk-ant-api03-REALKEYrealkeyREALKEYrealkey0123456789abcdef";
export const REAL_OPENAI = "sk-proj-REALKEYrealkeyREALKEYrealkey0123456789";

const sse = (event: string | undefined, data: unknown) => `${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`;

export class LlmUpstream {
  readonly seen: Seen[] = [];
  private server: Server | undefined;
  port = 0;
  /** Milliseconds between streamed chunks. */
  chunkDelay = 5;
  /** Chunks of a streamed answer. */
  chunks = 5;
  /** When set, a streamed Messages answer waits for it after its first event. */
  hold: Promise<void> | undefined;

  constructor(private readonly ca: TestCa) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const srv = createServer({ cert: this.ca.cert, key: this.ca.key, keepAlive: true }, (req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        const body = Buffer.concat(parts);
        this.seen.push({ method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers }, body });
        void this.answer(req.url ?? "", req.headers, body, res);
      });
    });
    srv.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    this.server = srv;
    this.port = (srv.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async answer(path: string, h: Record<string, string | string[] | undefined>, body: Buffer, res: ServerResponse): Promise<void> {
    const json = (status: number, doc: unknown) => {
      const t = JSON.stringify(doc);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(t), "request-id": "req_test" });
      res.end(t);
    };
    let req: Record<string, unknown> = {};
    try {
      req = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    } catch {
      // not JSON: answered as the provider would
    }
    const anthropic = path.startsWith("/v1/messages");
    if (anthropic ? h["x-api-key"] !== REAL_ANTHROPIC : h.authorization !== `Bearer ${REAL_OPENAI}`) {
      return json(401, anthropic ? { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } } : { error: { message: "Incorrect API key provided", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
    }
    if (req.model === "overloaded") return json(529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    if (req.model === "busy") return json(429, { error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" } });
    const stream = req.stream === true;
    // A model that answers with a secret in its text: what a response scan must see.
    const words = req.model === "leaky" ? ["the key is ", "AKIAIOSFODNN7EXAMPLE", " ok"] : Array.from({ length: this.chunks }, (_, i) => `word${i} `);
    if (path.startsWith("/v1/messages")) {
      if (!stream) return json(200, { id: "msg_1", type: "message", role: "assistant", model: req.model, content: [{ type: "text", text: words.join("") }], stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: 11, output_tokens: 7 } });
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(sse("message_start", { type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: req.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 11, output_tokens: 1 } } }));
      if (this.hold) await this.hold;
      res.write(sse("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }));
      for (const w of words) {
        await new Promise((r) => setTimeout(r, this.chunkDelay));
        res.write(sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: w } }));
      }
      res.write(sse("content_block_stop", { type: "content_block_stop", index: 0 }));
      res.write(sse("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 7 } }));
      res.end(sse("message_stop", { type: "message_stop" }));
      return;
    }
    if (path.startsWith("/v1/chat/completions")) {
      if (!stream) return json(200, { id: "chatcmpl-1", object: "chat.completion", created: 1, model: req.model, choices: [{ index: 0, message: { role: "assistant", content: words.join("") }, finish_reason: "stop" }], usage: { prompt_tokens: 13, completion_tokens: 5, total_tokens: 18 } });
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const w of words) {
        await new Promise((r) => setTimeout(r, this.chunkDelay));
        res.write(sse(undefined, { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: req.model, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] }));
      }
      res.write(sse(undefined, { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: req.model, choices: [], usage: { prompt_tokens: 13, completion_tokens: 5, total_tokens: 18 } }));
      res.end("data: [DONE]\n\n");
      return;
    }
    if (path.startsWith("/v1/responses")) {
      const response = { id: "resp_1", object: "response", created_at: 1, status: "completed", model: req.model, output: [{ type: "message", id: "msg_1", status: "completed", role: "assistant", content: [{ type: "output_text", text: words.join(""), annotations: [] }] }], usage: { input_tokens: 17, output_tokens: 5, total_tokens: 22 } };
      if (!stream) return json(200, response);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sse("response.created", { type: "response.created", sequence_number: 0, response: { ...response, status: "in_progress", output: [], usage: null } }));
      let n = 1;
      for (const w of words) {
        await new Promise((r) => setTimeout(r, this.chunkDelay));
        res.write(sse("response.output_text.delta", { type: "response.output_text.delta", sequence_number: n++, item_id: "msg_1", output_index: 0, content_index: 0, delta: w }));
      }
      res.end(sse("response.completed", { type: "response.completed", sequence_number: n, response }));
      return;
    }
    if (path.startsWith("/v1/models")) return json(200, { object: "list", data: [{ id: "gpt-test", object: "model", created: 1, owned_by: "test" }] });
    json(404, { error: { message: `no route ${path}`, type: "invalid_request_error", param: null, code: null } });
  }
}
