/**
 * Field values as auditd writes them. The kernel logs "untrusted" strings (argv, paths, comm,
 * exe, proctitle, ...) quoted when they are plain, and as hex when they hold spaces, quotes,
 * control or non-ASCII bytes; other fields are bare numbers or words such as `(null)`, `?`,
 * `unset`. Which fields may be hex is decided per field name, as auditd's own interpreter does.
 */

const HEX_FIELDS = new Set([
  "name", "cwd", "comm", "exe", "path", "proctitle", "data", "cmd", "acct", "new", "old", "key",
  "saddr", "ocomm", "watch", "dir", "file", "root_dir", "new-disk", "old-disk", "new-chardev", "old-chardev", "grp", "new_group", "vm", "device",
]);

/** True for fields whose bare value is hex-encoded bytes. aN are strings only in EXECVE; in SYSCALL they are register values. */
export function isHexField(type: string, key: string): boolean {
  if (HEX_FIELDS.has(key)) return true;
  return type === "EXECVE" && key.length > 1 && key.charCodeAt(0) === 97 /* a */ && isArgKey(key);
}

function isArgKey(key: string): boolean {
  let i = 1;
  const n = key.length;
  if (i >= n) return false;
  while (i < n && key.charCodeAt(i) >= 48 && key.charCodeAt(i) <= 57) i++;
  if (i === 1) return false;
  if (i === n) return true;
  if (key.charCodeAt(i) !== 91 /* [ */ || key.charCodeAt(n - 1) !== 93 /* ] */) return false;
  for (let j = i + 1; j < n - 1; j++) if (key.charCodeAt(j) < 48 || key.charCodeAt(j) > 57) return false;
  return n - 1 > i + 1;
}

export function isHexString(s: string): boolean {
  if (s.length === 0 || (s.length & 1) === 1) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

export function hexToBytes(s: string): Buffer {
  return Buffer.from(s, "hex");
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Bytes to text without loss: valid UTF-8 as is; otherwise every byte that is not part of a
 * valid sequence becomes `\xNN` and a backslash becomes `\\`, so the original bytes can be
 * recovered and two different names never render the same.
 */
export function bytesToText(b: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(b.buffer, b.byteOffset, b.length).toString("latin1");
  try {
    return strictUtf8.decode(b);
  } catch {
    return escapeInvalidUtf8(b);
  }
}

function escapeInvalidUtf8(b: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len === 1) {
      out += c === 0x5c ? "\\\\" : String.fromCharCode(c);
      i++;
      continue;
    }
    if (len > 0 && i + len <= b.length) {
      const seq = b.subarray(i, i + len);
      try {
        out += strictUtf8.decode(seq);
        i += len;
        continue;
      } catch {
        // fall through: escape this byte
      }
    }
    out += "\\x" + c.toString(16).padStart(2, "0");
    i++;
  }
  return out;
}

/** Decodes one field value as auditd wrote it (see module comment). */
export function decodeValue(type: string, key: string, raw: string, quoted: boolean): string {
  if (quoted) return raw;
  if (isHexField(type, key) && isHexString(raw)) return bytesToText(hexToBytes(raw));
  return raw;
}

/** PROCTITLE: hex of argv joined by NUL bytes (or a plain quoted string). */
export function splitProctitle(raw: string, quoted: boolean): string[] {
  if (quoted || !isHexString(raw)) return [raw];
  const bytes = hexToBytes(raw);
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0) {
      if (i > start || i < bytes.length) parts.push(bytesToText(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}
