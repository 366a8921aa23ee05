import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync, fsyncSync, statSync } from "node:fs";
import { EXIT, UserError } from "../errors/index.js";

/**
 * The chain's HMAC key: 32 random bytes created at first run with O_EXCL and mode 0600, so only
 * clawav's user can read it. Whoever cannot read it cannot recompute a chain they altered.
 */
export function loadOrCreateKey(file: string): Buffer {
  try {
    const fd = openSync(file, "wx", 0o600);
    const key = randomBytes(32);
    try {
      writeSync(fd, key.toString("hex") + "\n");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new UserError(`cannot create the chain key ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const st = statSync(file);
  if ((st.mode & 0o077) !== 0) throw new UserError(`chain key ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}): the chain cannot be trusted; chmod 600 it and rotate the key`);
  return readKey(file);
}

export function readKey(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new UserError(`cannot read the chain key ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}): run as clawav's user or root, or pass --key FILE`, EXIT.NOINPUT);
  }
  if (!/^[0-9a-f]{64}$/.test(text)) throw new UserError(`${file} is not a clawav chain key (want 64 hex digits)`);
  return Buffer.from(text, "hex");
}
