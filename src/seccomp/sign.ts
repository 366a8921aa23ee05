import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { EXIT, UserError } from "../errors/index.js";
import type { Whitelist } from "./whitelist.js";

/** The bytes a signature covers: the whitelist without `signature`, keys sorted, no spaces. */
export function canonicalBytes(w: Whitelist): Buffer {
  const { signature: _omit, ...rest } = w;
  return Buffer.from(canonical(rest));
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export function keyId(pub: KeyObject): string {
  return createHash("sha256").update(pub.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

function readKey(file: string, kind: "private" | "public"): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`${file}: cannot read the ${kind} key (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
  }
  try {
    const k = kind === "private" ? createPrivateKey(pem) : createPublicKey(pem);
    if (k.asymmetricKeyType !== "ed25519") throw new Error(`a ${k.asymmetricKeyType ?? "?"} key`);
    return k;
  } catch (e) {
    throw new UserError(`${file}: not an Ed25519 ${kind} key in PEM (${(e as Error).message})`);
  }
}

export function generateKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

export function signWhitelist(w: Whitelist, privateKeyFile: string): Whitelist {
  const key = readKey(privateKeyFile, "private");
  const value = sign(null, canonicalBytes(w), key).toString("base64");
  return { ...w, signature: { alg: "ed25519", key_id: keyId(createPublicKey(key)), value } };
}

/** undefined when the signature is good; otherwise why not. */
export function signatureProblem(w: Whitelist, publicKeyFile: string): string | undefined {
  const pub = readKey(publicKeyFile, "public");
  if (!w.signature) return "the whitelist is not signed";
  if (w.signature.key_id !== undefined && w.signature.key_id !== keyId(pub)) return `signed by key ${w.signature.key_id}, not by ${keyId(pub)}`;
  const ok = verify(null, canonicalBytes(w), pub, Buffer.from(w.signature.value, "base64"));
  return ok ? undefined : "bad signature: the whitelist was changed after it was signed, or signed with another key";
}
