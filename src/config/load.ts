import { readFileSync } from "node:fs";
import { parse as parseToml, TomlError } from "smol-toml";
import { z } from "zod";
import { EXIT, UserError, didYouMean } from "../errors/index.js";
import { configSchema, SECRET_KEYS, type Config } from "./schema.js";
import { locateKey } from "./locate.js";

export interface ConfigIssue {
  file: string;
  line?: number;
  column?: number;
  key: string;
  message: string;
}

export class ConfigError extends UserError {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join("\n"), EXIT.DATAERR);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

export function formatIssue(i: ConfigIssue): string {
  const where = i.line === undefined ? i.file : i.column === undefined ? `${i.file}:${i.line}` : `${i.file}:${i.line}:${i.column}`;
  return i.key === "" ? `${where}: ${i.message}` : `${where}: ${i.key}: ${i.message}`;
}

/** The built-in defaults: what `clawav run` uses with no file. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}

/** Parses TOML text into a Config, or throws ConfigError naming file, line and key of every problem. */
export function parseConfig(text: string, file: string): Config {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split("\n")[0] ?? e.message;
      throw new ConfigError([{ file, line: e.line, column: e.column, key: "", message: `TOML syntax: ${first}` }]);
    }
    throw e;
  }
  const notYet = notSupportedYet(data, text, file);
  if (notYet.length > 0) throw new ConfigError(notYet);
  const res = configSchema.safeParse(data);
  if (res.success) return res.data;
  // In the order of the file, as a person reads it.
  throw new ConfigError(res.error.issues.flatMap((iss) => toIssues(iss, text, file)).sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
}

/**
 * Keys the schema knows (the source documents name them) but nothing behind them works yet:
 * accepted, they would be silently ignored, so they are refused with what to do instead.
 */
export const NOT_SUPPORTED_YET: readonly [path: string, why: string][] = [
  ["general.log_file", "clawav logs to stderr (the journal under systemd); not supported yet: redirect stderr instead"],
];

function notSupportedYet(data: unknown, text: string, file: string): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const [path, why] of NOT_SUPPORTED_YET) {
    const keys = path.split(".");
    let v: unknown = data;
    for (const k of keys) v = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
    if (v !== undefined) out.push({ file, line: locateKey(text, keys), key: path, message: why });
  }
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read config (${code ?? String(e)}); pass --config with a readable file, or none for the built-in defaults`, EXIT.NOINPUT);
  }
  return parseConfig(text, file);
}

function toIssues(iss: z.core.$ZodIssue, text: string, file: string): ConfigIssue[] {
  const path = iss.path.filter((p): p is string | number => typeof p !== "symbol");
  if (iss.code === "unrecognized_keys") {
    const known = knownKeysAt(path);
    return iss.keys.map((k) => {
      const hint = didYouMean(k, known);
      return {
        file,
        line: locateKey(text, [...path, k]),
        key: [...path, k].join("."),
        message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ""}`,
      };
    });
  }
  return [{ file, line: locateKey(text, path), key: path.join("."), message: iss.message }];
}

/** The keys the schema accepts at a path, for "did you mean". */
function knownKeysAt(path: readonly (string | number)[]): string[] {
  let s: z.core.$ZodType = configSchema;
  for (const p of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) {
      const next = (s.shape as Record<string, z.core.$ZodType>)[String(p)];
      if (!next) return [];
      s = next;
    } else if (s instanceof z.ZodArray) {
      s = s.element;
    } else return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  let cur = s;
  for (let i = 0; i < 8; i++) {
    const def = (cur as { _zod: { def: { innerType?: z.core.$ZodType } } })._zod.def;
    if (!def.innerType) break;
    cur = def.innerType;
  }
  return cur;
}

/** A deep copy of the config with every secret replaced, for printing and logs. */
export function redactConfig(cfg: Config): unknown {
  const copy = structuredClone(cfg) as unknown as Record<string, Record<string, unknown>>;
  for (const k of SECRET_KEYS) {
    const [sec, key] = k.split(".") as [string, string];
    const obj = copy[sec];
    if (obj && typeof obj[key] === "string") obj[key] = redactUrl(obj[key]);
  }
  // A collector's headers carry its credentials (authorization, api keys): names shown, values not.
  for (const sec of ["telemetry", "otel"]) {
    const h = copy[sec]?.headers as Record<string, string> | undefined;
    if (h) for (const k of Object.keys(h)) h[k] = "<redacted>";
  }
  return copy;
}

/** Keeps scheme and host so a person can tell which endpoint it is; hides path, query and credentials. */
export function redactUrl(value: string): string {
  try {
    const u = new URL(value);
    return `${u.protocol}//${u.host}/<redacted>`;
  } catch {
    return "<redacted>";
  }
}
