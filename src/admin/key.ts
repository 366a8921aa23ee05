// The admin key: `OCAV-` and 64 hex digits (256 bits), shown once when it is made and kept only
// as an Argon2id hash (OWASP's minimum: 19 MiB, 2 passes), compared in constant time. A hash and
// its parameters live in one root-only file; the key itself is never written anywhere.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { argon2id } from "@noble/hashes/argon2.js";

export const KEY_FORMAT = /^OCAV-[0-9a-f]{64}$/;

interface StoredHash {
  alg: "argon2id";
  m: number;
  t: number;
  p: number;
  salt: string;
  hash: string;
}

const PARAMS = { m: 19_456, t: 2, p: 1 } as const;

export function newAdminKey(): string {
  return `OCAV-${randomBytes(32).toString("hex")}`;
}

function derive(key: string, salt: Buffer, p: { m: number; t: number; p: number }): Buffer {
  return Buffer.from(argon2id(Buffer.from(key, "utf8"), salt, { m: p.m, t: p.t, p: p.p, dkLen: 32 }));
}

export function hashAdminKey(key: string): StoredHash {
  const salt = randomBytes(16);
  return { alg: "argon2id", ...PARAMS, salt: salt.toString("hex"), hash: derive(key, salt, PARAMS).toString("hex") };
}

/** Writes the hash file atomically, 0600. */
export function saveAdminHash(file: string, h: StoredHash): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(h)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function loadAdminHash(file: string): StoredHash | undefined {
  if (!existsSync(file)) return undefined;
  const v = JSON.parse(readFileSync(file, "utf8")) as Partial<StoredHash>;
  if (v.alg !== "argon2id" || typeof v.salt !== "string" || typeof v.hash !== "string" || !Number.isInteger(v.m) || !Number.isInteger(v.t) || !Number.isInteger(v.p)) throw new Error(`${file}: not an admin key hash clawav wrote`);
  return v as StoredHash;
}

/** Is this the key? Malformed input is refused before any hashing; the hashes are compared in constant time. */
export function verifyAdminKey(key: string, h: StoredHash): boolean {
  if (!KEY_FORMAT.test(key)) return false;
  const want = Buffer.from(h.hash, "hex");
  const got = derive(key, Buffer.from(h.salt, "hex"), h);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The key file's hash, made with a new key when there is none: the key is returned only then. */
export function ensureAdminKey(file: string): { created?: string } {
  if (loadAdminHash(file)) return {};
  const key = newAdminKey();
  saveAdminHash(file, hashAdminKey(key));
  return { created: key };
}
