// A policy bundle: one JSON file holding policy, Sigma and pattern files, signed with Ed25519 so a
// policy server (or anyone between it and the host) cannot hand a host rules the signer never made.
//
//   { "format": "clawav-bundle/1", "version": "2026.12.7", "created": "2026-12-07T10:00:00.000Z",
//     "files": [{ "path": "policies/x.yaml", "sha256": "<hex>", "content": "<utf8 text>" }, ...],
//     "signature": "<base64 Ed25519>" }
//
// The signature is over canonicalBytes(): the UTF-8 bytes of JSON.stringify of
// { format, version, created, files } with the keys in that order, each file as
// { path, sha256, content } in that order, and the files sorted by path (by UTF-16 code units, as
// `<` compares strings). JSON.stringify's output is fixed for a given value, so signer and verifier
// get the same bytes whatever whitespace or key order the file itself was written with.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { z } from "zod";

export const BUNDLE_FORMAT = "clawav-bundle/1";
/** A bundle is the rules of one site; anything near this size is a mistake or an attack on the parser. */
export const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;
export const MAX_BUNDLE_FILES = 2000;
/** The Sigma loader walks at most this many folders deep; deeper files would be written and never read. */
const MAX_SIGMA_DEPTH = 8;

export type BundleErrorReason = "malformed" | "schema" | "path" | "sha256" | "signature" | "too-large" | "key";

export class BundleError extends Error {
  constructor(
    readonly reason: BundleErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "BundleError";
  }
}

export interface BundleFile {
  path: string;
  sha256: string;
  content: string;
}

export interface Bundle {
  format: typeof BUNDLE_FORMAT;
  version: string;
  created: string;
  files: BundleFile[];
  signature: string;
}

export type UnsignedBundle = Omit<Bundle, "signature">;

/** Dotted numbers; the length bound keeps a version a version (it names a folder, too). */
const VERSION_RE = /^\d{1,18}(\.\d{1,18}){0,7}$/;
const ISO_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function isVersion(v: string): boolean {
  return VERSION_RE.test(v);
}

/** Component-wise numeric order ("1.10" > "1.9"); a missing component counts as 0 ("1.2" = "1.2.0"). */
export function compareVersions(a: string, b: string): number {
  for (const v of [a, b]) if (!isVersion(v)) throw new BundleError("schema", `version: ${JSON.stringify(v)} is not dotted numbers (such as 2026.12.7 or 42)`);
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    // Leading zeros dropped, then longer is larger: exact for numbers past 2^53, where Number() is not.
    const x = (pa[i] ?? "0").replace(/^0+(?=\d)/, "");
    const y = (pb[i] ?? "0").replace(/^0+(?=\d)/, "");
    if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Why a path is refused, or undefined when it is one the store may write and a loader will read. */
export function pathProblem(p: string): string | undefined {
  if (p.length === 0) return "empty";
  if (p.length > 1024) return "longer than 1024 characters";
  if (p.startsWith("/")) return "absolute: bundle paths are relative to the bundle's folder";
  if (/[\\\u0000-\u001f\u007f]/.test(p)) return "holds a backslash or a control character";
  const parts = p.split("/");
  if (parts.some((s) => s === "..")) return "holds ..: it would escape the bundle's folder";
  if (parts.some((s) => s === "" || s === ".")) return "holds an empty or . segment";
  // A loader skips dot files (and the store keeps its temporary folders under such names).
  if (parts.some((s) => s.startsWith("."))) return "holds a name that starts with a dot, which the loaders skip";
  if (parts.some((s) => s.length > 255)) return "holds a name longer than 255 characters";
  const [top] = parts;
  const name = parts[parts.length - 1]!;
  if (top === "policies") {
    // The policy loader reads one folder, not below it.
    if (parts.length !== 2) return "policies/ holds files only, no folders";
    if (!/\.ya?ml$/i.test(name)) return "a policy file ends in .yaml or .yml";
    return undefined;
  }
  if (top === "patterns") {
    if (parts.length !== 2) return "patterns/ holds files only, no folders";
    if (!name.endsWith(".json")) return "a pattern database ends in .json";
    return undefined;
  }
  if (top === "sigma") {
    if (parts.length < 2) return "names the sigma folder, not a file in it";
    if (parts.length - 2 > MAX_SIGMA_DEPTH) return `sigma/ nests more than ${MAX_SIGMA_DEPTH} folders deep`;
    if (!/\.ya?ml$/i.test(name)) return "a Sigma rule ends in .yml or .yaml";
    return undefined;
  }
  return "outside policies/, sigma/ and patterns/";
}

export function sha256Hex(content: string): string {
  return createHash("sha256").update(content, "utf8").digest("hex");
}

export function canonicalBytes(b: UnsignedBundle): Buffer {
  const files = [...b.files].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)).map((f) => ({ path: f.path, sha256: f.sha256, content: f.content }));
  return Buffer.from(JSON.stringify({ format: b.format, version: b.version, created: b.created, files }), "utf8");
}

export function ed25519PublicKey(pem: string | KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key = typeof pem === "string" ? createPublicKey(pem) : pem;
  } catch (e) {
    throw new BundleError("key", `the public key is not a PEM key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new BundleError("key", `the public key is ${key.asymmetricKeyType ?? "not an asymmetric key"}, not Ed25519`);
  return key;
}

export function ed25519PrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new BundleError("key", `the signing key is not a PEM private key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new BundleError("key", `the signing key is ${key.asymmetricKeyType ?? "unknown"}, not Ed25519 (make one with: openssl genpkey -algorithm ed25519)`);
  return key;
}

/** Signs the bundle's files as given; the files are stored sorted by path, as they are signed. */
export function signBundle(b: UnsignedBundle, privateKeyPem: string): Bundle {
  const key = ed25519PrivateKey(privateKeyPem);
  const files = [...b.files].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const unsigned: UnsignedBundle = { format: b.format, version: b.version, created: b.created, files };
  return { ...unsigned, signature: sign(null, canonicalBytes(unsigned), key).toString("base64") };
}

/** The bundle as a file: what `clawav policy bundle` writes and a policy server serves. */
export function bundleText(b: Bundle): string {
  return `${JSON.stringify({ format: b.format, version: b.version, created: b.created, files: b.files, signature: b.signature })}\n`;
}

const fileSchema = z.strictObject({
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits"),
  // A lone surrogate has no UTF-8 form: its sha256 and its signed JSON would disagree on what it is.
  content: z.string().refine((s) => !/\p{Cs}/u.test(s), "text with a lone UTF-16 surrogate, which has no UTF-8 form"),
});

const bundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT, `"${BUNDLE_FORMAT}"`),
  version: z.string().regex(VERSION_RE, "dotted numbers, such as 2026.12.7 or 42"),
  created: z.string().regex(ISO_TIME_RE, "an ISO 8601 time, such as 2026-12-07T10:00:00.000Z").refine((s) => !Number.isNaN(Date.parse(s)), "not a real time"),
  // Empty is refused as makeBundle refuses it: a bundle that drops every rule is more likely a mistake than a wish.
  files: z.array(fileSchema).min(1, "at least one file"),
  signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, "the base64 of a 64-byte Ed25519 signature"),
});

export type ParseResult = { bundle: Bundle } | { error: BundleError };

/**
 * Reads and verifies a bundle. Everything but the signature is checked first (shape, paths, each
 * file's sha256), so a damaged file is named by what is wrong with it; nothing of it is trusted
 * until the signature verifies over the canonical bytes.
 */
export function parseBundle(text: string | Buffer, publicKey: string | KeyObject): ParseResult {
  try {
    return { bundle: parseOrThrow(text, publicKey) };
  } catch (e) {
    if (e instanceof BundleError) return { error: e };
    throw e;
  }
}

function parseOrThrow(text: string | Buffer, publicKey: string | KeyObject): Bundle {
  const key = ed25519PublicKey(publicKey);
  const size = typeof text === "string" ? Buffer.byteLength(text, "utf8") : text.length;
  if (size > MAX_BUNDLE_BYTES) throw new BundleError("too-large", `${size} bytes, over the ${MAX_BUNDLE_BYTES} a bundle may have`);
  let data: unknown;
  try {
    data = JSON.parse(typeof text === "string" ? text : text.toString("utf8"));
  } catch (e) {
    throw new BundleError("malformed", `not JSON: ${(e as Error).message}`);
  }
  // Counted before the schema so a huge list is refused as too large, not read file by file.
  const files = (data as { files?: unknown } | null)?.files;
  if (Array.isArray(files) && files.length > MAX_BUNDLE_FILES) throw new BundleError("too-large", `${files.length} files, over the ${MAX_BUNDLE_FILES} a bundle may have`);
  const r = bundleSchema.safeParse(data);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    const key = iss.path.map(String).join(".");
    throw new BundleError("schema", `${key === "" ? "the bundle" : key}: ${iss.message}`);
  }
  const b: Bundle = r.data;
  const seen = new Set<string>();
  for (const [i, f] of b.files.entries()) {
    const problem = pathProblem(f.path);
    if (problem !== undefined) throw new BundleError("path", `files.${i}.path ${JSON.stringify(f.path)}: ${problem}`);
    if (seen.has(f.path)) throw new BundleError("path", `files.${i}.path ${JSON.stringify(f.path)}: named twice`);
    seen.add(f.path);
  }
  for (const f of b.files) if (sha256Hex(f.content) !== f.sha256) throw new BundleError("sha256", `${f.path}: its content does not match its sha256 (changed after it was signed)`);
  if (!verify(null, canonicalBytes(b), key, Buffer.from(b.signature, "base64"))) throw new BundleError("signature", "bad signature: the bundle was changed after it was signed, or signed with another key");
  return b;
}
