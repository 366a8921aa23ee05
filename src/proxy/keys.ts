// Virtual keys: what the agent holds instead of a provider's key. The keys file is root's (0600);
// it keeps each virtual key only as its sha256, next to the real key (or the name of the
// environment variable that holds it), the agent it is bound to, and its limits.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { parse as parseToml, stringify as stringifyToml, TomlError } from "smol-toml";
import { z } from "zod";
import { locateKey } from "../config/index.js";
import { EXIT, UserError } from "../errors/index.js";

export const VIRTUAL_KEY_PREFIX = "clawav-vk-";

const keySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, . _ and -, at most 64"),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "sha256: and 64 hex digits (clawav proxy keys add writes it)"),
  upstream: z.string().min(1),
  /** The agent's uid: the key is refused from any other (unset: any local user). */
  uid: z.number().int().min(0).optional(),
  real_key: z.string().min(1).optional(),
  /** The environment variable (of the daemon: systemd's EnvironmentFile) that holds the real key. */
  real_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name").optional(),
  revoked: z.boolean().default(false),
  /** Requests per minute; 0: no limit. */
  rpm: z.number().int().min(0).default(0),
  /** Input plus output tokens per UTC day, as the provider reports them; 0: no limit. */
  tokens_per_day: z.number().int().min(0).default(0),
  /** Model names the key may ask for; `*` matches any run of characters. Empty: any. */
  models: z.array(z.string().min(1)).default([]),
  created: z.string().optional(),
});

const fileSchema = z.strictObject({ key: z.array(keySchema).default([]) });

export type VirtualKey = z.infer<typeof keySchema>;

export interface KeyRing {
  file: string;
  keys: VirtualKey[];
  /** mtime and size when read: a change is read again. */
  stamp: string;
}

export function hashKey(virtualKey: string): string {
  return `sha256:${createHash("sha256").update(virtualKey).digest("hex")}`;
}

/** A new virtual key: the prefix and 32 random bytes in base62-ish (base64url without - and _). */
export function newVirtualKey(): string {
  let s = "";
  while (s.length < 40) s += randomBytes(48).toString("base64url").replace(/[-_]/g, "");
  return VIRTUAL_KEY_PREFIX + s.slice(0, 40);
}

export function parseKeys(text: string, file: string): VirtualKey[] {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) throw new UserError(`${file}:${e.line}: TOML syntax: ${e.message.split("\n")[0]}`, EXIT.DATAERR);
    throw e;
  }
  const r = fileSchema.safeParse(data);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    const line = locateKey(text, iss.path.map((p) => (typeof p === "number" ? p : String(p))));
    throw new UserError(`${file}${line !== undefined ? `:${line}` : ""}: ${iss.path.join(".")}: ${iss.message}`, EXIT.DATAERR);
  }
  const ids = new Set<string>();
  r.data.key.forEach((k, i) => {
    const line = locateKey(text, ["key", i, "id"]);
    const at = `${file}${line !== undefined ? `:${line}` : ""}: key.${i}`;
    if (ids.has(k.id)) throw new UserError(`${at}.id: "${k.id}" is used twice`, EXIT.DATAERR);
    ids.add(k.id);
    if ((k.real_key === undefined) === (k.real_key_env === undefined)) throw new UserError(`${at}: exactly one of real_key and real_key_env`, EXIT.DATAERR);
  });
  return r.data.key;
}

function stampOf(file: string): string {
  const st = statSync(file);
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

/**
 * Reads the keys file. As root it must be root's and not readable by others: it holds the real
 * keys, and a file the agent could write would let it mint its own virtual key.
 */
export function loadKeyRing(file: string): KeyRing {
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { file, keys: [], stamp: "absent" };
    throw new UserError(`${file}: cannot read the proxy's keys (${code ?? String(e)})`, EXIT.NOINPUT);
  }
  if (process.getuid?.() === 0) {
    if (st.uid !== 0) throw new UserError(`${file}: the proxy's keys file belongs to uid ${st.uid}, not root: refused (chown root:root ${file})`, EXIT.NOPERM);
    if ((st.mode & 0o077) !== 0) throw new UserError(`${file}: the proxy's keys file has mode ${(st.mode & 0o777).toString(8)}: others could read the real keys; refused (chmod 600 ${file})`, EXIT.NOPERM);
  }
  const text = readFileSync(file, "utf8");
  return { file, keys: parseKeys(text, file), stamp: stampOf(file) };
}

/** The keys file again when it changed since `ring` was read, else `ring`. */
export function refreshKeyRing(ring: KeyRing): KeyRing {
  let stamp: string;
  try {
    stamp = stampOf(ring.file);
  } catch {
    stamp = "absent";
  }
  return stamp === ring.stamp ? ring : loadKeyRing(ring.file);
}

export function formatKeys(keys: readonly VirtualKey[]): string {
  const head = "# clawav proxy keys: root's, mode 0600. Virtual keys are kept only as their sha256.\n# Written by clawav proxy keys add|revoke; see clawav proxy keys --help.\n\n";
  return head + stringifyToml({ key: keys.map((k) => Object.fromEntries(Object.entries(k).filter(([, v]) => v !== undefined))) }) + "\n";
}

/** The real key for a virtual one: inline, or from the environment. */
export function realKey(k: VirtualKey, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (k.real_key !== undefined) return k.real_key;
  const v = k.real_key_env !== undefined ? env[k.real_key_env] : undefined;
  return v !== undefined && v !== "" ? v : undefined;
}

export function modelAllowed(k: VirtualKey, model: string | undefined): boolean {
  if (k.models.length === 0) return true;
  if (model === undefined) return false;
  return k.models.some((m) => new RegExp(`^${m.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(model));
}
