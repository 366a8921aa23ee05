import { readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { EXIT, UserError } from "../errors/index.js";
import { MAX_POLICY_BYTES, parsePreloadPolicy, type PreloadPolicy } from "./preload-parse.js";

export type { PreloadPolicy, ExecRule, NetRule } from "./preload-parse.js";

/** The home "~" stands for when the guard runs as uid: /etc/passwd first, as the guard looks it up. */
export function homeOf(uid: number): string | undefined {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const f = line.split(":");
      if (f.length >= 6 && f[2] !== "" && Number(f[2]) === uid && f[5]!.startsWith("/")) return f[5];
    }
  } catch {
    // No /etc/passwd: the name service below is what the guard asks next.
  }
  try {
    return uid === process.getuid?.() ? userInfo().homedir : undefined;
  } catch {
    return undefined;
  }
}

/** "line L, column C" of a byte offset. */
function where(bytes: Buffer, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) {
    line++;
    start = i + 1;
  }
  return `line ${line}, column ${bytes.subarray(start, offset).toString("utf8").length + 1}`;
}

/**
 * Reads a preload policy as the guard will (the same language, held to the C parser's verdicts);
 * a UserError names the file, line and column. home is what "~" stands for (the agent's home).
 */
export function loadPreloadPolicy(file: string, home: () => string | undefined = () => homeOf(process.getuid?.() ?? 0)): PreloadPolicy {
  let bytes: Buffer;
  try {
    if (statSync(file).size > MAX_POLICY_BYTES) throw new UserError(`${file}: larger than ${MAX_POLICY_BYTES} bytes; the guard refuses it`);
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: cannot read the preload policy (${(e as NodeJS.ErrnoException).code ?? "error"})`, EXIT.NOINPUT);
  }
  const v = parsePreloadPolicy(bytes, home);
  if (!v.ok) throw new UserError(`${file}: ${where(bytes, v.offset)}: ${v.message}; the guard would refuse this policy and fail closed`);
  return v.policy;
}

/** The notice for a policy in seed 000's format, or undefined. */
export function legacyNotice(file: string, p: PreloadPolicy): string | undefined {
  if (p.legacyKeys.length === 0) return undefined;
  const parts = [`${file}: seed 000's policy format (${p.legacyKeys.join(", ")}) is read as: `];
  const map: string[] = [];
  if (p.legacyKeys.includes("log_file")) map.push('"log_file" as "log"');
  if (p.legacyKeys.includes("enabled")) map.push(p.enabled ? '"enabled": true as the default' : '"enabled": false as no rules at all (the guard allows everything)');
  parts.push(map.join(", "));
  if (p.legacy) parts.push('; add "version": 1 and use "log" to write the current format');
  return parts.join("");
}

/** Why the library would refuse this file as its policy (it must be root's and writable by nobody else), or undefined. */
export function preloadPolicyOwnershipProblem(file: string): string | undefined {
  const st = statSync(file);
  if (!st.isFile()) return `${file} is not a regular file`;
  if (st.uid !== 0) return `${file} is owned by uid ${st.uid}; the guard only takes a policy owned by root`;
  if ((st.mode & 0o022) !== 0) return `${file} is writable by group or others (mode ${(st.mode & 0o777).toString(8)}); the guard refuses it`;
  return undefined;
}
