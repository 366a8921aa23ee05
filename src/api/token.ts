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

export function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice(7).trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
