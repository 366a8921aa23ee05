import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { EXIT, UserError } from "../errors/index.js";
import { PACKAGE_ROOT } from "../version.js";

export type Arch = "x86_64" | "aarch64";
export type ActionName = "ALLOW" | "KILL_PROCESS" | "KILL_THREAD" | "TRAP" | "LOG" | "USER_NOTIF";
export type Action = ActionName | { errno: number };
export type Op = "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "masked_eq";
export type U64 = number | string;

export interface Condition {
  arg: number;
  op: Op;
  value: U64;
  mask?: U64;
}

export interface Entry {
  name: string;
  permission: "ALLOW" | "DENY" | "CONDITIONAL";
  category?: string;
  comment?: string;
  action?: Action;
  conditions?: Condition[];
}

export interface Whitelist {
  version: string;
  status?: "DRAFT" | "FROZEN";
  description?: string;
  architectures?: Arch[];
  default_action: Action;
  categories?: Record<string, string[]>;
  syscalls: Entry[];
  ports?: { connect_tcp?: number[]; bind_tcp?: number[] };
  signature?: { alg: "ed25519"; key_id?: string; value: string };
}

export class WhitelistError extends UserError {
  constructor(readonly file: string, readonly problems: string[]) {
    super(problems.map((p) => `${file}: ${p}`).join("\n"), EXIT.DATAERR);
  }
}

type Validator = ((x: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params: Record<string, unknown>; keyword: string }[] | null };
type AjvCtor = new (o: object) => { compile(schema: object): Validator };
let validator: Validator | undefined;

function validate(x: unknown): string[] {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, "schemas", "seccomp-whitelist.schema.json"), "utf8")) as object;
    // ajv is CommonJS: load its draft 2020-12 build through require.
    const mod = createRequire(import.meta.url)("ajv/dist/2020") as { default: AjvCtor };
    validator = new mod.default({ allErrors: true, strict: false }).compile(schema);
  }
  if (validator(x)) return [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of validator.errors ?? []) {
    if (e.keyword === "if" || e.keyword === "oneOf") continue; // their branches say it better
    const path = "$" + e.instancePath.replace(/\/(\d+)/g, "[$1]").replace(/\//g, ".");
    const extra = e.keyword === "additionalProperties" ? ` "${String(e.params.additionalProperty)}"` : e.keyword === "enum" ? ` (${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})` : "";
    const msg = `${path}: ${e.message ?? e.keyword}${extra}`;
    if (!seen.has(msg)) out.push(msg);
    seen.add(msg);
  }
  return out;
}

/** Reads and checks a whitelist: schema first, then what a schema cannot say (known syscall names, duplicates). */
export function parseWhitelist(text: string, file: string, knownNames?: (arch: Arch) => ReadonlySet<string>): Whitelist {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new WhitelistError(file, [`not valid JSON: ${(e as Error).message}`]);
  }
  const problems = validate(data);
  if (problems.length > 0) throw new WhitelistError(file, problems);
  const w = data as Whitelist;
  const extra: string[] = [];
  const seen = new Map<string, number>();
  w.syscalls.forEach((s, i) => {
    const prev = seen.get(s.name);
    if (prev !== undefined) extra.push(`$.syscalls[${i}].name: "${s.name}" is already listed at $.syscalls[${prev}]`);
    seen.set(s.name, i);
    if (knownNames) {
      for (const arch of w.architectures ?? ["x86_64"]) {
        if (!knownNames(arch).has(s.name)) extra.push(`$.syscalls[${i}].name: "${s.name}" is not a syscall on ${arch}`);
      }
    }
  });
  if (extra.length > 0) throw new WhitelistError(file, extra);
  return w;
}

export function loadWhitelist(file: string, knownNames?: (arch: Arch) => ReadonlySet<string>): Whitelist {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
  }
  return parseWhitelist(text, file, knownNames);
}
