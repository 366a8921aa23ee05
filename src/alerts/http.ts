/** How a delivery attempt ended, as the dispatcher needs to know it. */
export type SendResult =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; retryAfterMs?: number; status?: number; error: string };

/**
 * POSTs JSON and classifies the answer: 2xx ok; 429 and 5xx and network errors retryable (with
 * Retry-After, in seconds or as an HTTP date, when the server gives one); other 4xx permanent.
 * `bodyOk` lets a channel reject a 2xx whose body says it failed (Telegram's ok: false).
 */
export async function postJson(url: string, body: unknown, timeoutMs: number, bodyOk?: (status: number, text: string) => string | undefined): Promise<SendResult> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
    text = await res.text();
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    return { ok: false, retryable: true, error: err.cause?.code ?? err.name ?? "network error" };
  }
  if (res.status >= 200 && res.status < 300) {
    const bad = bodyOk?.(res.status, text);
    return bad === undefined ? { ok: true, status: res.status } : { ok: false, retryable: false, status: res.status, error: bad };
  }
  const retryAfterMs = retryAfter(res.headers.get("retry-after"), text);
  const retryable = res.status === 429 || res.status >= 500;
  return { ok: false, retryable, status: res.status, error: `HTTP ${res.status}: ${text.slice(0, 120)}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** Retry-After header (seconds or HTTP date), else Discord's `retry_after` or Telegram's `parameters.retry_after` (seconds). */
export function retryAfter(header: string | null, body: string): number | undefined {
  if (header !== null) {
    if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.ceil(Number(header) * 1000);
    const t = Date.parse(header);
    if (Number.isFinite(t)) return Math.max(0, t - Date.now());
  }
  try {
    const j = JSON.parse(body) as { retry_after?: unknown; parameters?: { retry_after?: unknown } };
    const s = typeof j.retry_after === "number" ? j.retry_after : typeof j.parameters?.retry_after === "number" ? j.parameters.retry_after : undefined;
    if (s !== undefined) return Math.ceil(s * 1000);
  } catch {
    // not JSON
  }
  return undefined;
}
