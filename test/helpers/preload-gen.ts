// Generates preload policies for the differential test: mostly near-valid documents built from
// the policy's own shape, pushed at each edge the two parsers must agree on (string and arena
// limits, rule and argv counts, numbers, escapes, UTF-8, addresses, ~, duplicate keys, the seed
// 000 format), then, for some, byte-level mutations.

export type Rng = () => number;

/** mulberry32: small, fast, seeded; a failing case is reproduced from its seed. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;

const ADDRESSES = [
  "10.0.0.0/8", "127.0.0.1", "0.0.0.0/0", "255.255.255.255/32", "1.2.3.4/33", "01.2.3.4", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.1.1.1",
  "::1", "::", "::/0", "fe80::1%eth0", "::ffff:1.2.3.4", "::ffff:1.2.3.4/128", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::",
  "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "::1:2:3:4:5:6:7:8", "12345::", "::1.2.3.4", "::a.1.1.1", "1:2:3:4:5:6:1.2.3.4", "1.2.3.4/", "1.2.3.4/ 8",
  "1.2.3.4/+8", "1.2.3.4/008", "1.2.3.4/0008", "1.2.3.4/-0", "::/129", "::/128", "10.0.0.0/8/8", "2001:db8::/32", "2001:DB8::", "g::", "", " 1.2.3.4",
  "1.2.3.04", "0.0.0.0", "1.2.3.4" + "0".repeat(60), ":", "::ffff:", "1:2:3:4:5:6:7:", "0:0:0:0:0:0:0:0", "::0:0:0:0:0:0:0", "a:b:c:d:e:f:1.2.3.4",
];
const NUMBERS = ["1", "0", "01", "1.0", "1e0", "1E0", "-1", "22", "65535", "65536", "70000", "123456789", "1234567890", "00", "9", " 1", "1 ", "+1", "0x1", "true", '"1"', "null"];
const WORDS = ["bash", "-c", "sh", "nc", "-e*", "/usr/bin/curl", "*", "?", "[a-z]", "caf\u00e9", "x"];
const PATHS = ["/etc/shadow", "/etc/", "/", "//", "~", "~/", "~/.ssh/", "~root", "etc/passwd", "/srv/*/keys", "/a/b/", "/tmp/[ab]", ""];
const HOMES = ["/home/agent", "/root", "/", "/" + "h".repeat(4000)];

/** A JSON string literal body with some characters written as escapes. */
function quote(r: Rng, s: string): string {
  // Mostly plain: JSON.stringify writes control characters and lone surrogates as escapes.
  if (r() < 0.7) return JSON.stringify(s);
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const roll = r();
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (cp < 0x20) out += "\\u" + cp.toString(16).padStart(4, "0");
    else if (roll < 0.03 && cp <= 0xffff) out += "\\u" + (roll < 0.015 ? cp.toString(16).padStart(4, "0") : cp.toString(16).padStart(4, "0").toUpperCase());
    else if (roll < 0.04 && cp > 0xffff) {
      const v = cp - 0x10000;
      out += `\\u${(0xd800 + (v >> 10)).toString(16)}\\u${(0xdc00 + (v & 0x3ff)).toString(16)}`;
    } else if (roll < 0.05 && ch === "/") out += "\\/";
    else out += ch;
  }
  return `"${out}"`;
}

/** A string near one of the limits, or with a hostile character. */
function edgeString(r: Rng, base: string): string {
  switch (int(r, 12)) {
    case 0: return base + "a".repeat(Math.max(0, 4095 - base.length - 2 + int(r, 5)));
    case 1: return base + "\u00e9".repeat(2046 + int(r, 3));
    case 2: return base + "\u{1F600}";
    case 3: return base + "\u0000";
    case 4: return base + "\ud800";
    case 5: return base + "\udc00";
    case 6: return base + "\t";
    case 7: return base + "a".repeat(8180 + int(r, 20));
    default: return base;
  }
}

function stringValue(r: Rng, base: string): string {
  const s = r() < 0.08 ? edgeString(r, base) : base;
  // Lone surrogates cannot survive encoding as UTF-8; write them as escapes, as an attacker would.
  const q = quote(r, s);
  return /[\ud800-\udfff]/.test(q) ? q.replace(/[\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : q;
}

function array(r: Rng, n: number, item: () => string): string {
  const xs: string[] = [];
  for (let i = 0; i < n; i++) xs.push(item());
  return `[${xs.join(sp(r) + "," + sp(r))}]`;
}

function sp(r: Rng): string {
  const x = r();
  return x < 0.8 ? "" : x < 0.9 ? " " : x < 0.95 ? "\n  " : x < 0.99 ? "\t\r\n" : "\u000b";
}

function count(r: Rng): number {
  const x = r();
  return x < 0.5 ? int(r, 3) : x < 0.94 ? int(r, 10) : x < 0.95 ? 255 + int(r, 3) : int(r, 40);
}

function execRule(r: Rng): string {
  if (r() < 0.6) {
    const n = r() < 0.1 ? 15 + int(r, 4) : int(r, 4);
    const words = [pick(r, WORDS)];
    for (let i = 0; i < n; i++) words.push(pick(r, WORDS));
    const sep = r() < 0.1 ? "  " : " ";
    return stringValue(r, (r() < 0.05 ? " " : "") + (r() < 0.03 ? "" : words.join(sep)));
  }
  const fields: string[] = [];
  if (r() < 0.95) fields.push(`"exe":${stringValue(r, r() < 0.05 ? "" : pick(r, WORDS))}`);
  if (r() < 0.5) fields.push(`"argv":${array(r, r() < 0.1 ? 16 + int(r, 2) : int(r, 3), () => (r() < 0.03 ? pick(r, NUMBERS) : stringValue(r, pick(r, WORDS))))}`);
  if (r() < 0.03) fields.push(`"exe":"x"`);
  if (r() < 0.02) fields.push(`"path":"x"`);
  return `{${fields.join(",")}}`;
}

function pathRule(r: Rng): string {
  const p = pick(r, PATHS);
  return stringValue(r, r() < 0.05 ? p + "/" + "d".repeat(int(r, 4000)) : p);
}

function netRule(r: Rng): string {
  const fields: string[] = [];
  if (r() < 0.7) fields.push(`"${r() < 0.5 ? "cidr" : "address"}":${stringValue(r, pick(r, ADDRESSES))}`);
  if (r() < 0.5) fields.push(`"port":${r() < 0.8 ? String(1 + int(r, 65535)) : pick(r, NUMBERS)}`);
  if (r() < 0.03) fields.push(`"${r() < 0.5 ? "cidr" : "address"}":"::1"`);
  if (r() < 0.03) fields.push(`"port":22`);
  if (r() < 0.02) fields.push(`"proto":"tcp"`);
  return `{${fields.join(",")}}`;
}

/** One policy document (bytes). */
export function generatePolicy(r: Rng): Buffer {
  const fields: string[] = [];
  const legacy = r() < 0.1;
  if (!legacy || r() < 0.1) fields.push(`"version":${r() < 0.85 ? "1" : pick(r, NUMBERS)}`);
  if (legacy && r() < 0.8) fields.push(`"enabled":${r() < 0.7 ? "true" : r() < 0.8 ? "false" : pick(r, NUMBERS)}`);
  if (r() < 0.3) fields.push(`"${legacy && r() < 0.7 ? "log_file" : "log"}":${stringValue(r, r() < 0.9 ? "/var/log/clawav/preload.log" : "preload.log")}`);
  if (r() < 0.2) fields.push(`"quiet":${r() < 0.9 ? (r() < 0.5 ? "true" : "false") : pick(r, ["1", '"yes"', "null", "tru", "falsey"])}`);
  if (r() < 0.7) fields.push(`"deny_exec":${array(r, count(r), () => execRule(r))}`);
  if (r() < 0.6) fields.push(`"deny_paths_read":${array(r, count(r), () => pathRule(r))}`);
  if (r() < 0.6) fields.push(`"deny_paths_write":${array(r, count(r), () => pathRule(r))}`);
  if (r() < 0.5) fields.push(`"deny_connect":${array(r, count(r), () => netRule(r))}`);
  if (r() < 0.03) fields.push(`"version":1`);
  if (r() < 0.02) fields.push(`"log":"/a","log_file":"/b"`);
  if (r() < 0.02) fields.push(`"deny_everything":true`);
  // Many long paths: the kept strings near the 64 KiB arena.
  if (r() < 0.03) fields.push(`"deny_paths_write":${array(r, 15 + int(r, 3), () => stringValue(r, "/" + "w".repeat(4094 - int(r, 300))))}`);
  for (let i = fields.length - 1; i > 0; i--) {
    const j = int(r, i + 1);
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  let text = `${sp(r)}{${sp(r)}${fields.join(`${sp(r)},${sp(r)}`)}${sp(r)}}${sp(r)}`;
  if (r() < 0.02) text += pick(r, ["x", "{}", ",", "\u0000", "// c"]);
  let bytes: Buffer = Buffer.from(text, "utf8");
  if (r() < 0.15) bytes = mutate(r, bytes);
  return bytes;
}

const BYTES = [0x00, 0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x30, 0x7e, 0x2f, 0x80, 0xbf, 0xc0, 0xc3, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x20, 0x0a];

function mutate(r: Rng, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const n = 1 + int(r, 3);
  let cur = out;
  for (let i = 0; i < n && cur.length > 0; i++) {
    const at = int(r, cur.length);
    switch (int(r, 4)) {
      case 0: cur[at] = pick(r, BYTES); break;
      case 1: cur = Buffer.concat([cur.subarray(0, at), Buffer.from([pick(r, BYTES)]), cur.subarray(at)]); break;
      case 2: cur = Buffer.concat([cur.subarray(0, at), cur.subarray(Math.min(cur.length, at + 1 + int(r, 8)))]); break;
      default: cur = cur.subarray(0, at);
    }
  }
  return cur;
}

/** The home "~" stands for in a run, chosen per seed. */
export function generateHome(r: Rng): string | undefined {
  return r() < 0.1 ? undefined : pick(r, HOMES);
}
