import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, fstatSync, statSync } from "node:fs";
import { basename } from "node:path";

/** What an executable really is, whatever its file is called. */
export interface ExeIdentity {
  /** sha256 of the file's content, when it could be read. */
  sha256?: string;
  /** The system tool whose content this is (e.g. "curl"), when it matches one. */
  tool?: string;
}

/** exe path → identity; injectable so tests and replay can say what a file is without hashing it. */
export type ExeIdentityFn = (exe: string) => ExeIdentity | undefined;

/** The system tools worth recognising under another name: network tools, shells, interpreters, copiers. */
export const KNOWN_TOOLS: readonly string[] = [
  "curl", "wget", "nc", "nc.openbsd", "nc.traditional", "ncat", "netcat", "socat", "telnet", "ssh", "scp", "sftp", "rsync", "ftp",
  "python3", "perl", "ruby", "php", "node", "bash", "sh", "dash", "zsh", "busybox", "base64", "xxd", "openssl", "gpg", "nmap",
];

export interface IdentityOptions {
  /** Where the genuine tools live; the first file found per name is the reference. */
  dirs?: readonly string[];
  tools?: readonly string[];
  /** Files larger than this are not hashed (a huge file is not a renamed system tool). */
  maxBytes?: number;
  /** Bound on cached identities; the oldest go first. */
  maxEntries?: number;
}

/**
 * Hashes executables on first sight, cached by device, inode, mtime and size, and recognises copies
 * of the system's own tools. The references are hashed lazily, on the first lookup, so that start-up
 * stays cheap. A symlink (/usr/bin/nc → /etc/alternatives/…) resolves to its target's content.
 */
export function createExeIdentity(opts: IdentityOptions = {}): ExeIdentityFn & { stats: { hashed: number; cached: number; evicted: number } } {
  const dirs = opts.dirs ?? ["/usr/bin", "/bin", "/usr/sbin", "/usr/local/bin"];
  const tools = opts.tools ?? KNOWN_TOOLS;
  const maxBytes = opts.maxBytes ?? 64 << 20;
  const maxEntries = opts.maxEntries ?? 4096;
  const cache = new Map<string, ExeIdentity>();
  let references: Map<string, string> | undefined;
  const stats = { hashed: 0, cached: 0, evicted: 0 };

  const refs = (): Map<string, string> => {
    if (references) return references;
    references = new Map();
    for (const t of tools) {
      for (const d of dirs) {
        const h = hashFile(`${d}/${t}`, maxBytes);
        if (h) {
          // Two names for one binary (sh → dash): the first listed name wins, which is the general one.
          if (!references.has(h.sha256)) references.set(h.sha256, canonicalTool(t));
          break;
        }
      }
    }
    return references;
  };

  const fn = (exe: string): ExeIdentity | undefined => {
    if (!exe.startsWith("/")) return undefined;
    const h = hashFile(exe, maxBytes, cache, stats);
    if (!h) return undefined;
    if (h.tool === undefined && !h.checked) {
      const tool = refs().get(h.sha256);
      h.checked = true;
      if (tool !== undefined) h.tool = tool;
    }
    if (cache.size > maxEntries) {
      const first = cache.keys().next().value;
      if (first !== undefined) cache.delete(first);
      stats.evicted++;
    }
    return h.tool !== undefined ? { sha256: h.sha256, tool: h.tool } : { sha256: h.sha256 };
  };
  return Object.assign(fn, { stats });
}

/** nc.openbsd and friends are all "nc" to a rule. */
function canonicalTool(name: string): string {
  if (name.startsWith("nc.") || name === "netcat") return "nc";
  return name;
}

interface Hashed extends ExeIdentity {
  sha256: string;
  checked?: boolean;
}

function hashFile(path: string, maxBytes: number, cache?: Map<string, ExeIdentity>, stats?: { hashed: number; cached: number }): Hashed | undefined {
  // A cache hit costs one stat; the file is opened only to hash it.
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  if (!st.isFile() || st.size > BigInt(maxBytes)) return undefined;
  const key = `${st.dev}:${st.ino}:${st.mtimeNs}:${st.size}`;
  const hit = cache?.get(key) as Hashed | undefined;
  if (hit) {
    if (stats) stats.cached++;
    return hit;
  }
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    // The path may have been replaced between stat and open: key what was actually read.
    const fst = fstatSync(fd, { bigint: true });
    if (!fst.isFile() || fst.size > BigInt(maxBytes)) return undefined;
    const readKey = `${fst.dev}:${fst.ino}:${fst.mtimeNs}:${fst.size}`;
    const hash = createHash("sha256");
    const buf = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
    }
    const h: Hashed = { sha256: hash.digest("hex") };
    if (stats) stats.hashed++;
    cache?.set(readKey, h);
    return h;
  } finally {
    closeSync(fd);
  }
}

/** An identity that only knows names (for replay and tests): the basename is the tool. */
export function identityByName(exe: string): ExeIdentity | undefined {
  const b = basename(exe);
  return KNOWN_TOOLS.includes(b) ? { tool: canonicalTool(b) } : undefined;
}
