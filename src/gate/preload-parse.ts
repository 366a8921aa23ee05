/**
 * The preload policy's reader: byte for byte the language of native/preload/policy.c, so that
 * what `clawav preload check` and `clawav exec` accept is what the guard accepts (a policy the
 * guard refuses makes it fail closed, and the agent can run nothing). Held to the C parser's
 * verdicts by a differential test over generated policies (test/native/preload-parity.test.ts).
 *
 * The language, narrower than JSON on purpose: one object; no key twice; whole numbers without
 * sign, fraction, exponent or leading zero; strings of well-formed UTF-8 without NUL or lone
 * surrogates, at most 4095 bytes decoded; the kept strings together within 64 KiB.
 */

export const MAX_POLICY_BYTES = (1 << 20) - 1;
const MAX_STRING = 4095;
const ARENA = 65536;
const MAX_RULES = 256;
const MAX_ARGV = 16;

export type ExecRule = string | { exe: string; argv?: string[] };
export type NetRule = { cidr?: string; address?: string; port?: number };

export interface PreloadPolicy {
  /** Seed 000's format: no "version", marked by "enabled" or "log_file". */
  legacy: boolean;
  /** Seed 000's "enabled": false turns every rule off. */
  enabled: boolean;
  /** The keys of seed 000's format this file used (shown as a notice). */
  legacyKeys: string[];
  log?: string;
  quiet?: boolean;
  deny_exec: ExecRule[];
  deny_paths_read: string[];
  deny_paths_write: string[];
  deny_connect: NetRule[];
}

export type PreloadVerdict = { ok: true; policy: PreloadPolicy } | { ok: false; offset: number; message: string };

class Refused extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Parses a policy's bytes; home gives what "~" stands for, asked only when a rule uses it. */
export function parsePreloadPolicy(bytes: Uint8Array, home: () => string | undefined): PreloadVerdict {
  if (bytes.length > MAX_POLICY_BYTES) return { ok: false, offset: 0, message: `larger than ${MAX_POLICY_BYTES} bytes` };
  try {
    return { ok: true, policy: new Parser(bytes, home).policy() };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, offset: e.offset, message: e.message };
    throw e;
  }
}

class Parser {
  private pos = 0;
  private used = 0;
  constructor(private readonly b: Uint8Array, private readonly home: () => string | undefined) {}

  private fail(msg: string, at = this.pos): never {
    throw new Refused(at, msg);
  }

  /** Where the next value starts: a value found wrong after reading is reported at its start. */
  private here(): number {
    this.ws();
    return this.pos;
  }

  private ws(): void {
    const b = this.b;
    while (this.pos < b.length && (b[this.pos] === 0x20 || b[this.pos] === 0x09 || b[this.pos] === 0x0a || b[this.pos] === 0x0d)) this.pos++;
  }

  private peek(): number {
    this.ws();
    return this.pos < this.b.length ? this.b[this.pos]! : -1;
  }

  private expect(c: string): void {
    if (this.peek() !== c.charCodeAt(0)) this.fail(`expected '${c}'`);
    this.pos++;
  }

  private keep(s: string): string {
    const n = Buffer.byteLength(s);
    if (this.used + n + 1 > ARENA) this.fail(`policy too large (over ${ARENA} bytes of strings)`);
    this.used += n + 1;
    return s;
  }

  private string(): string {
    this.expect('"');
    const b = this.b;
    const out: number[] = [];
    while (this.pos < b.length && b[this.pos] !== 0x22) {
      if (out.length > MAX_STRING) this.fail(`string longer than ${MAX_STRING} bytes`);
      const c = b[this.pos]!;
      if (c < 0x20) this.fail("control character in a string");
      if (c >= 0x80) {
        const k = utf8Seq(b, this.pos);
        if (k === 0) this.fail("invalid UTF-8 in a string");
        for (let i = 0; i < k; i++) out.push(b[this.pos + i]!);
        this.pos += k;
        continue;
      }
      this.pos++;
      if (c !== 0x5c) {
        out.push(c);
        continue;
      }
      if (this.pos >= b.length) break;
      const e = String.fromCharCode(b[this.pos++]!);
      switch (e) {
        case '"': case "\\": case "/": out.push(e.charCodeAt(0)); break;
        case "b": out.push(8); break;
        case "f": out.push(12); break;
        case "n": out.push(10); break;
        case "r": out.push(13); break;
        case "t": out.push(9); break;
        case "u": {
          let cp = hex4(b, this.pos);
          if (cp < 0) this.fail("bad \\u escape");
          this.pos += 4;
          if (cp >= 0xdc00 && cp <= 0xdfff) this.fail("unpaired surrogate");
          if (cp >= 0xd800 && cp < 0xdc00) {
            const lo = b.length - this.pos >= 6 && b[this.pos] === 0x5c && b[this.pos + 1] === 0x75 ? hex4(b, this.pos + 2) : -1;
            if (lo < 0xdc00 || lo > 0xdfff) this.fail("unpaired surrogate");
            this.pos += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          if (cp === 0) this.fail("NUL in a string");
          for (const x of Buffer.from(String.fromCodePoint(cp), "utf8")) out.push(x);
          break;
        }
        default:
          this.fail(`bad escape \\${e}`);
      }
    }
    if (this.pos >= b.length) this.fail("unterminated string");
    if (out.length > MAX_STRING) this.fail(`string longer than ${MAX_STRING} bytes`);
    this.pos++;
    return decoder.decode(Uint8Array.from(out));
  }

  private integer(): number {
    this.ws();
    const b = this.b;
    const start = this.pos;
    let v = 0;
    let digits = 0;
    while (this.pos < b.length && isDigit(b[this.pos]!) && digits < 9) {
      v = v * 10 + (b[this.pos++]! - 0x30);
      digits++;
    }
    const next = this.pos < b.length ? b[this.pos]! : -1;
    if (digits === 0 || next === 0x2e || next === 0x65 || next === 0x45 || isDigit(next)) this.fail("expected a whole number");
    if (digits > 1 && b[start] === 0x30) this.fail("a number with a leading zero");
    return v;
  }

  private literal(word: string): boolean {
    this.ws();
    for (let i = 0; i < word.length; i++) if (this.b[this.pos + i] !== word.charCodeAt(i)) return false;
    this.pos += word.length;
    return true;
  }

  private boolean(): boolean {
    if (this.literal("true")) return true;
    if (this.literal("false")) return false;
    this.fail("expected true or false");
  }

  /** Calls each for every element of an array. */
  private array(each: () => void): void {
    this.expect("[");
    if (this.peek() === 0x5d) {
      this.pos++;
      return;
    }
    for (;;) {
      each();
      const c = this.peek();
      if (c === 0x2c) {
        this.pos++;
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return;
      }
      this.fail("expected ',' or ']'");
    }
  }

  /** Calls each with every key of an object, positioned on its value. */
  private object(each: (key: string) => void): void {
    this.expect("{");
    if (this.peek() === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      const key = this.string();
      this.expect(":");
      each(key);
      const c = this.peek();
      if (c === 0x7d) {
        this.pos++;
        return;
      }
      if (c !== 0x2c) this.fail("expected ',' or '}'");
      this.pos++;
    }
  }

  private once(seen: Set<string>, slot: string, key: string): void {
    if (seen.has(slot)) this.fail(`"${key}" given twice`);
    seen.add(slot);
  }

  policy(): PreloadPolicy {
    const p: PreloadPolicy = { legacy: false, enabled: true, legacyKeys: [], deny_exec: [], deny_paths_read: [], deny_paths_write: [], deny_connect: [] };
    const seen = new Set<string>();
    let version = 0;
    this.object((k) => {
      switch (k) {
        case "version":
          this.once(seen, k, k);
          version = this.integer();
          return;
        case "log":
        case "log_file":
          this.once(seen, k, k);
          if (seen.has("log") && seen.has("log_file")) this.fail('both "log" and "log_file" given (log_file is the older name of log)');
          if (k === "log_file") p.legacyKeys.push(k);
          {
            const at = this.here();
            p.log = this.keep(this.string());
            if (!p.log.startsWith("/")) this.fail(`"${k}" must be an absolute path`, at);
          }
          return;
        case "quiet":
          this.once(seen, k, k);
          p.quiet = this.boolean();
          return;
        case "enabled":
          this.once(seen, k, k);
          p.legacyKeys.push(k);
          p.enabled = this.boolean();
          return;
        case "deny_exec":
          this.once(seen, k, k);
          this.array(() => p.deny_exec.push(this.execRule(p.deny_exec.length)));
          return;
        case "deny_paths_read":
        case "deny_paths_write": {
          this.once(seen, k, k);
          const list = k === "deny_paths_read" ? p.deny_paths_read : p.deny_paths_write;
          this.array(() => list.push(this.pathRule(list.length, k)));
          return;
        }
        case "deny_connect":
          this.once(seen, k, k);
          this.array(() => p.deny_connect.push(this.netRule(p.deny_connect.length)));
          return;
        default:
          this.fail(`unknown key "${k}"`);
      }
    });
    if (this.peek() !== -1) this.fail("trailing data after the policy object");
    if (seen.has("version") ? version !== 1 : !(seen.has("enabled") || seen.has("log_file"))) this.fail('"version" must be 1');
    p.legacy = !seen.has("version");
    return p;
  }

  private execRule(index: number): ExecRule {
    if (index >= MAX_RULES) this.fail(`deny_exec: more than ${MAX_RULES} rules`);
    if (this.peek() === 0x22) {
      const s = this.keep(this.string());
      const words = s.split(" ").filter((w) => w !== "");
      if (words.length - 1 > MAX_ARGV) this.fail(`deny_exec: "${words[0]}" has more than ${MAX_ARGV} argument patterns`);
      if (words.length === 0) this.fail(`deny_exec[${index}]: no exe`);
      return s;
    }
    const seen = new Set<string>();
    let exe: string | undefined;
    let argv: string[] | undefined;
    this.object((k) => {
      if (k === "exe") {
        this.once(seen, k, k);
        exe = this.keep(this.string());
      } else if (k === "argv") {
        this.once(seen, k, k);
        const list: string[] = [];
        this.array(() => {
          if (list.length >= MAX_ARGV) this.fail(`deny_exec: more than ${MAX_ARGV} argument patterns`);
          list.push(this.keep(this.string()));
        });
        argv = list;
      } else this.fail(`deny_exec: unknown key "${k}" (want exe, argv)`);
    });
    if (exe === undefined || exe === "") this.fail(`deny_exec[${index}]: no exe`);
    return argv === undefined ? { exe } : { exe, argv };
  }

  private pathRule(index: number, key: string): string {
    const at = this.here();
    const raw = this.string();
    if (index >= MAX_RULES) this.fail(`${key}: more than ${MAX_RULES} rules`);
    let path = raw;
    if (raw[0] === "~" && (raw.length === 1 || raw[1] === "/")) {
      const home = this.home();
      if (home === undefined) this.fail(`${key}: "${raw}" uses ~ but the user has no home directory`, at);
      if (Buffer.byteLength(home) + Buffer.byteLength(raw) - 1 > MAX_STRING) this.fail(`${key}: "${raw}" is longer than ${MAX_STRING} bytes with ~ expanded`, at);
      path = home + raw.slice(1);
    }
    if (!path.startsWith("/")) this.fail(`${key}: "${raw}" is not an absolute path (or ~/...)`, at);
    let len = path.length;
    while (len > 1 && path[len - 1] === "/") len--;
    this.keep(path.slice(0, len));
    return raw;
  }

  private netRule(index: number): NetRule {
    if (index >= MAX_RULES) this.fail(`deny_connect: more than ${MAX_RULES} rules`);
    const seen = new Set<string>();
    const r: NetRule = {};
    this.object((k) => {
      if (k === "cidr" || k === "address") {
        this.once(seen, "addr", "cidr/address");
        const at = this.here();
        const a = this.keep(this.string());
        if (!isAddressOrCidr(a)) this.fail(`deny_connect[${index}]: "${a}" is not an IPv4/IPv6 address or CIDR`, at);
        r[k] = a;
      } else if (k === "port") {
        this.once(seen, k, k);
        const at = this.here();
        const v = this.integer();
        if (v < 1 || v > 65535) this.fail(`deny_connect[${index}]: port ${v} is not 1-65535`, at);
        r.port = v;
      } else this.fail(`deny_connect: unknown key "${k}" (want cidr, address, port)`);
    });
    if (seen.size === 0) this.fail(`deny_connect[${index}]: needs a cidr/address or a port`);
    return r;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function hex4(b: Uint8Array, at: number): number {
  if (b.length - at < 4) return -1;
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const d = hexValue(b[at + i]!);
    if (d < 0) return -1;
    v = (v << 4) | d;
  }
  return v;
}

/** The length of the well-formed UTF-8 sequence at b[at] (RFC 3629), or 0. */
function utf8Seq(b: Uint8Array, at: number): number {
  const c = b[at]!;
  let k: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) k = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    k = 3;
    if (c === 0xe0) lo = 0xa0;
    if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    k = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f;
  } else return 0;
  if (b.length - at < k) return 0;
  if (b[at + 1]! < lo || b[at + 1]! > hi) return 0;
  for (let i = 2; i < k; i++) if (b[at + i]! < 0x80 || b[at + i]! > 0xbf) return 0;
  return k;
}

/** "address" or "address/prefix" (1 to 3 digits), the address as glibc's inet_pton reads it. */
export function isAddressOrCidr(text: string): boolean {
  if (Buffer.byteLength(text) >= 64) return false;
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  let prefix = -1;
  if (slash >= 0) {
    const d = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(d)) return false;
    prefix = Number(d);
  }
  if (inetPton4(addr, 0, addr.length)) return prefix <= 32;
  if (inetPton6(addr)) return prefix <= 128;
  return false;
}

/** glibc's inet_pton4 over addr[from, to): dotted quad, no leading zeros, each part <= 255. */
function inetPton4(addr: string, from: number, to: number): boolean {
  let sawDigit = false;
  let octets = 0;
  let cur = 0;
  for (let i = from; i < to; i++) {
    const ch = addr.charCodeAt(i);
    if (isDigit(ch)) {
      const next = cur * 10 + (ch - 0x30);
      if (sawDigit && cur === 0) return false;
      if (next > 255) return false;
      cur = next;
      if (!sawDigit) {
        if (++octets > 4) return false;
        sawDigit = true;
      }
    } else if (ch === 0x2e && sawDigit) {
      if (octets === 4) return false;
      cur = 0;
      sawDigit = false;
    } else return false;
  }
  return octets >= 4;
}

/** glibc's inet_pton6: groups of 1-4 hex digits, one "::", an IPv4 tail, exactly 16 bytes. */
function inetPton6(addr: string): boolean {
  const end = addr.length;
  if (end === 0) return false;
  let i = 0;
  if (addr[0] === ":") {
    i++;
    if (i === end || addr[i] !== ":") return false;
  }
  let tp = 0;
  let colon = -1;
  let curtok = i;
  let xdigits = 0;
  let val = 0;
  while (i < end) {
    const ch = addr.charCodeAt(i++);
    const d = hexValue(ch);
    if (d >= 0) {
      if (xdigits === 4) return false;
      val = (val << 4) | d;
      if (val > 0xffff) return false;
      xdigits++;
      continue;
    }
    if (ch === 0x3a) {
      curtok = i;
      if (xdigits === 0) {
        if (colon >= 0) return false;
        colon = tp;
        continue;
      } else if (i === end) return false;
      if (tp + 2 > 16) return false;
      tp += 2;
      xdigits = 0;
      val = 0;
      continue;
    }
    if (ch === 0x2e && tp + 4 <= 16 && inetPton4(addr, curtok, end)) {
      tp += 4;
      xdigits = 0;
      break;
    }
    return false;
  }
  if (xdigits > 0) {
    if (tp + 2 > 16) return false;
    tp += 2;
  }
  if (colon >= 0) {
    if (tp === 16) return false;
    tp = 16;
  }
  return tp === 16;
}
