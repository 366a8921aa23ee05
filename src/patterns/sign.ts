// Ed25519 signatures of the pattern databases: FILE.sig holds the base64 signature of FILE's
// exact bytes. The package ships its public key; the private key never enters the repository.
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export type SignatureState = "valid" | "missing" | "invalid";

export function signFile(file: string, privateKeyPem: string): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error("the signing key is not an Ed25519 key");
  const sig = sign(null, readFileSync(file), key).toString("base64");
  writeFileSync(`${file}.sig`, `${sig}\n`, { mode: 0o644 });
  return `${file}.sig`;
}

export function verifyFile(file: string, publicKeyPem: string): SignatureState {
  if (!existsSync(`${file}.sig`)) return "missing";
  const key = createPublicKey(publicKeyPem);
  let sig: Buffer;
  try {
    sig = Buffer.from(readFileSync(`${file}.sig`, "utf8").trim(), "base64");
  } catch {
    return "invalid";
  }
  return verify(null, readFileSync(file), key, sig) ? "valid" : "invalid";
}
