/**
 * Structured JSON logs on stderr, one object per line. Values that look like secrets (webhook
 * URLs, bearer tokens, bot tokens) are redacted here, at the last step, so that no caller can
 * leak one by accident.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const SECRET_PATTERNS: readonly RegExp[] = [
  /(https?:\/\/hooks\.slack\.com)\/[^\s"']+/g,
  /(https?:\/\/(?:discord(?:app)?\.com|[^/\s"']+)\/api\/webhooks)\/[^\s"']+/g,
  /(\/bot)\d+:[A-Za-z0-9_-]+/g,
  /(Bearer )[A-Za-z0-9._~+/=-]+/gi,
];

function humanLine(lvl: LogLevel, msg: string, fields?: Record<string, unknown>): string {
  const kv = Object.entries(fields ?? {}).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return `clawav: ${lvl === "info" ? "" : `${lvl}: `}${msg}${kv.length > 0 ? ` (${kv.join(", ")})` : ""}`;
}

function redactSecrets(text: string): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, "$1/<redacted>");
  return out;
}

/** json: one object per line (for machines, journald); human: `clawav: warn: msg (key=value)` (a terminal). */
export type LogFormat = "json" | "human";

export function createLogger(level: LogLevel = "info", write: (line: string) => void = (l) => process.stderr.write(l), format: LogFormat = "json"): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < min) return;
    const line = format === "json" ? JSON.stringify({ ts: new Date().toISOString(), level: lvl, msg, ...fields }) : humanLine(lvl, msg, fields);
    write(redactSecrets(line) + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

