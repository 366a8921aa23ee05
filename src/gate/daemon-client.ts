import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/index.js";

/** How to reach the running daemon's API as its admin. */
export interface DaemonEndpoint {
  base: string;
  token: string;
}

export type EndpointResult = { ok: true; endpoint: DaemonEndpoint } | { ok: false; reason: string };

/** Where the daemon said it listens (it writes <state_dir>/api.json at start), else the configured address. */
export function daemonEndpoint(config: Config): EndpointResult {
  const stateDir = config.general.state_dir;
  const tokenFile = config.api.token_file ?? join(stateDir, "api-token");
  let token: string;
  try {
    token = readFileSync(tokenFile, "utf8").trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES") return { ok: false, reason: `cannot read the API token ${tokenFile}: it is root's (mode 0600); run this as root` };
    return { ok: false, reason: `cannot read the API token ${tokenFile} (${code ?? "error"}): is the daemon running (clawav run)?` };
  }
  let address = config.api.bind;
  let port = config.api.port;
  try {
    const a = JSON.parse(readFileSync(join(stateDir, "api.json"), "utf8")) as { address?: unknown; port?: unknown };
    if (typeof a.address === "string") address = a.address;
    if (typeof a.port === "number") port = a.port;
  } catch {
    // an older daemon, or none: the configured address
  }
  if (address === "0.0.0.0") address = "127.0.0.1";
  if (address === "::") address = "::1";
  const host = address.includes(":") ? `[${address}]` : address;
  return { ok: true, endpoint: { base: `http://${host}:${port}`, token } };
}

export interface DaemonReply {
  status: number;
  body: Record<string, unknown>;
}

/** One call to the daemon's API with the admin token. Network failures are thrown as Error with the reason. */
export async function callDaemon(ep: DaemonEndpoint, method: "GET" | "POST", path: string, body?: unknown, timeoutMs = 10_000): Promise<DaemonReply> {
  const res = await fetch(ep.base + path, {
    method,
    headers: { authorization: `Bearer ${ep.token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === "object" && v !== null) parsed = v as Record<string, unknown>;
  } catch {
    parsed = { error: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed };
}

/** Why a call failed, in words: fetch's own errors hide the cause one level down. */
export function describeFailure(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
    if (e.name === "TimeoutError") return "the daemon did not answer in time";
    return cause?.code ?? cause?.message ?? e.message;
  }
  return String(e);
}

/** The error text of a daemon reply, whatever shape it came in. */
export function replyError(r: DaemonReply): string {
  const e = r.body.error;
  return typeof e === "string" ? e : e === undefined ? `HTTP ${r.status}` : JSON.stringify(e);
}
