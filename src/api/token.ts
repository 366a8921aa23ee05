import { randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

/** The admin bearer token: 32 random bytes (hex), created at first run in a 0600 file. */
export function loadOrCreateToken(file: string): string {
  try {
    const fd = openSync(file, "wx", 0o600);
    const t = randomBytes(32).toString("hex");
    try {
      writeSync(fd, t + "\n");
    } finally {
      closeSync(fd);
    }
    return t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  return readFileSync(file, "utf8").trim();
}

/** What an Authorization header says: no bearer token at all, the right one, or a wrong one. */
export function checkToken(header: string | undefined, token: string): "missing" | "ok" | "wrong" {
  // The scheme is case-insensitive (RFC 9110); the token is compared in constant time.
  const m = header === undefined ? null : /^bearer[ \t]+(\S+)\s*$/i.exec(header);
  if (!m) return "missing";
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want) ? "ok" : "wrong";
}

export function tokenMatches(header: string | undefined, token: string): boolean {
  return checkToken(header, token) === "ok";
}
