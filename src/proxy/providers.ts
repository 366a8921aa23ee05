// What differs between the providers' APIs: where the key goes, how an error looks (an agent's
// SDK must fail cleanly on the proxy's refusals, so they come in the provider's own shape), where
// the usage is reported, and where tool results sit in a request.
import type { IncomingHttpHeaders } from "node:http";

export type Api = "anthropic" | "openai";

/** The virtual key the client sent: x-api-key (Anthropic's SDK) or a bearer token (OpenAI's). */
export function presentedKey(h: IncomingHttpHeaders): string | undefined {
  const x = h["x-api-key"];
  if (typeof x === "string" && x !== "") return x.trim();
  const auth = h.authorization;
  if (typeof auth === "string") {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return undefined;
}

export function authHeaders(api: Api, realKey: string): Record<string, string> {
  return api === "anthropic" ? { "x-api-key": realKey } : { authorization: `Bearer ${realKey}` };
}

export type Refusal = "authentication" | "permission" | "rate_limit" | "invalid_request" | "too_large" | "upstream";

const STATUS: Record<Refusal, number> = { authentication: 401, permission: 403, rate_limit: 429, invalid_request: 400, too_large: 413, upstream: 502 };

/** The provider's error document for a refusal, and its status. */
export function refusal(api: Api, kind: Refusal, message: string): { status: number; body: string } {
  const status = STATUS[kind];
  if (api === "anthropic") {
    const type = { authentication: "authentication_error", permission: "permission_error", rate_limit: "rate_limit_error", invalid_request: "invalid_request_error", too_large: "request_too_large", upstream: "api_error" }[kind];
    return { status, body: JSON.stringify({ type: "error", error: { type, message } }) };
  }
  const type = { authentication: "invalid_request_error", permission: "permission_error", rate_limit: "rate_limit_exceeded", invalid_request: "invalid_request_error", too_large: "invalid_request_error", upstream: "server_error" }[kind];
  const code = { authentication: "invalid_api_key", permission: "clawav_refused", rate_limit: "rate_limit_exceeded", invalid_request: "clawav_refused", too_large: "request_too_large", upstream: "upstream_unreachable" }[kind];
  return { status, body: JSON.stringify({ error: { message, type, param: null, code } }) };
}

export interface Usage {
  input: number;
  output: number;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0);

/** Usage in a whole JSON response (Messages, Chat Completions, Responses). */
export function usageOf(doc: unknown): Usage | undefined {
  if (doc === null || typeof doc !== "object") return undefined;
  const d = doc as Record<string, unknown>;
  const u = (d.usage ?? (d.response as Record<string, unknown> | undefined)?.usage) as Record<string, unknown> | undefined;
  if (!u || typeof u !== "object") return undefined;
  // Anthropic: input_tokens/output_tokens; Chat Completions: prompt_tokens/completion_tokens; Responses: input_tokens/output_tokens.
  return { input: num(u.input_tokens) + num(u.prompt_tokens) + num(u.cache_creation_input_tokens) + num(u.cache_read_input_tokens), output: num(u.output_tokens) + num(u.completion_tokens) };
}

/**
 * Reads usage out of a server-sent-event stream as it passes, chunk by chunk. Anthropic reports
 * input at message_start and output (cumulative) at message_delta; OpenAI in a final chunk
 * (Chat Completions with include_usage) or in response.completed (Responses).
 */
export class SseUsage {
  private rest = "";
  usage: Usage = { input: 0, output: 0 };
  seen = false;

  push(chunk: string): void {
    const text = this.rest + chunk;
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    // A line longer than this is no usage report: keep the tail bounded.
    if (this.rest.length > 1 << 20) this.rest = "";
    for (const l of lines) {
      if (!l.startsWith("data:")) continue;
      const data = l.slice(5).trim();
      if (!data.includes("usage")) continue;
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(data) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (doc.type === "message_start") {
        const u = usageOf(doc.message);
        if (u) {
          this.usage.input = u.input;
          this.usage.output = Math.max(this.usage.output, u.output);
          this.seen = true;
        }
        continue;
      }
      const u = usageOf(doc);
      if (!u) continue;
      this.seen = true;
      if (doc.type === "message_delta") {
        this.usage.output = Math.max(this.usage.output, u.output);
        if (u.input > 0) this.usage.input = u.input;
      } else this.usage = u;
    }
  }
}

/** The text of the tool results a request passes back to the model, in each API's places. */
export function toolResults(api: Api, body: unknown): string[] {
  const out: string[] = [];
  if (body === null || typeof body !== "object") return out;
  const b = body as Record<string, unknown>;
  const texts = (v: unknown): void => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) for (const x of v) texts(x);
    else if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.text === "string") out.push(o.text);
      else if (o.content !== undefined) texts(o.content);
      else if (typeof o.output === "string") out.push(o.output);
    }
  };
  if (Array.isArray(b.messages)) {
    for (const m of b.messages as unknown[]) {
      if (m === null || typeof m !== "object") continue;
      const msg = m as Record<string, unknown>;
      // OpenAI Chat Completions: a message of role tool (or the older function).
      if (msg.role === "tool" || msg.role === "function") texts(msg.content);
      // Anthropic: content blocks of type tool_result in a user message.
      if (Array.isArray(msg.content)) for (const c of msg.content as unknown[]) if (c !== null && typeof c === "object" && (c as Record<string, unknown>).type === "tool_result") texts((c as Record<string, unknown>).content);
    }
  }
  // OpenAI Responses: input items of type function_call_output (and custom tools' outputs).
  if (api === "openai" && Array.isArray(b.input)) {
    for (const it of b.input as unknown[]) {
      if (it === null || typeof it !== "object") continue;
      const item = it as Record<string, unknown>;
      if (item.type === "function_call_output" || item.type === "custom_tool_call_output" || item.type === "mcp_call_output") texts(item.output);
    }
  }
  return out;
}

export function modelOf(body: unknown): string | undefined {
  if (body === null || typeof body !== "object") return undefined;
  const m = (body as Record<string, unknown>).model;
  return typeof m === "string" ? m : undefined;
}
