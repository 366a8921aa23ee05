import type { NetInfo } from "../../events/index.js";
import { bytesToText, isHexString } from "./values.js";

/** Decodes SOCKADDR's saddr (hex of the struct sockaddr the process passed). */
export function decodeSockaddr(hex: string): NetInfo | undefined {
  if (!isHexString(hex) || hex.length < 4) return undefined;
  const b = Buffer.from(hex, "hex");
  // sa_family is in the host's byte order: little-endian on x86_64 and aarch64, big-endian on
  // s390x and ppc64; a value only valid one way round tells which.
  const le = b.readUInt16LE(0);
  const be = b.readUInt16BE(0);
  const family = le > 255 && be <= 255 ? be : le;
  switch (family) {
    case 1: {
      // AF_UNIX: path NUL-terminated; a leading NUL means the abstract namespace.
      const body = b.subarray(2);
      if (body.length === 0) return { family: "unix", path: "" };
      if (body[0] === 0) {
        let end = body.length;
        while (end > 1 && body[end - 1] === 0) end--;
        return { family: "unix", path: "@" + bytesToText(body.subarray(1, end)) };
      }
      const nul = body.indexOf(0);
      return { family: "unix", path: bytesToText(nul < 0 ? body : body.subarray(0, nul)) };
    }
    case 2:
      if (b.length < 8) return { family: "inet" };
      return { family: "inet", port: b.readUInt16BE(2), address: `${b[4]}.${b[5]}.${b[6]}.${b[7]}` };
    case 10:
      if (b.length < 24) return { family: "inet6" };
      return { family: "inet6", port: b.readUInt16BE(2), address: formatIpv6(b.subarray(8, 24)) };
    case 16:
      return { family: "netlink" };
    default:
      return { family: "other" };
  }
}

/** RFC 5952 text form; IPv4-mapped addresses as ::ffff:a.b.c.d. */
export function formatIpv6(a: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((a[i]! << 8) | a[i + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}
