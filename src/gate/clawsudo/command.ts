import { createHash } from "node:crypto";
import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";

/** Where a bare command name is looked up: never the agent's own PATH. */
export const SECURE_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] as const;

/** A command as clawsudo judges and runs it. */
export interface SudoCommand {
  /** The name the caller gave (argv[0] of the run). */
  name: string;
  /** The resolved executable: absolute, symlinks followed. */
  exe: string;
  args: string[];
  cwd: string;
  uid: number;
  user: string;
}

export type Resolution = { ok: true; exe: string } | { ok: false; reason: string };

/** Resolves a command name the way clawsudo will run it: bare names on SECURE_PATH, paths against cwd. */
export function resolveExecutable(name: string, cwd: string): Resolution {
  if (name === "") return { ok: false, reason: "empty command name" };
  const candidates = name.includes("/") ? [isAbsolute(name) ? name : resolve(cwd, name)] : SECURE_PATH.map((d) => `${d}/${name}`);
  for (const c of candidates) {
    try {
      const st = statSync(c);
      if (!st.isFile()) continue;
      accessSync(c, constants.X_OK);
      return { ok: true, exe: realpathSync(c) };
    } catch {
      // not this one
    }
  }
  return { ok: false, reason: name.includes("/") ? `${name}: no such executable` : `${name}: not found in ${SECURE_PATH.join(":")}` };
}

/**
 * Why a file cannot be trusted to still be what was judged when it is used: it, or a directory
 * above it, is owned by someone other than root or writable by group or others. A sticky
 * directory (/tmp) is fine above a root-owned entry: nobody else can rename or remove that entry.
 * undefined if none.
 */
export function untrustedReason(path: string): string | undefined {
  let p = path;
  let childOwnedByRoot = false;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      return `${p}: ${(e as NodeJS.ErrnoException).code ?? "cannot stat"}`;
    }
    if (st.uid !== 0) return `${p} is owned by uid ${st.uid}, not root`;
    const writable = (st.mode & 0o022) !== 0;
    const stickyDirAboveRootEntry = p !== path && st.isDirectory() && (st.mode & 0o1000) !== 0 && childOwnedByRoot;
    if (writable && !stickyDirAboveRootEntry) return `${p} is writable by ${st.mode & 0o002 ? "everyone" : "its group"} (mode ${(st.mode & 0o7777).toString(8)})`;
    if (p === "/") return undefined;
    childOwnedByRoot = true;
    p = dirname(p);
  }
}

/** The hash an approval is bound to: length-prefixed fields, so no two commands share one. */
export function commandHash(c: Pick<SudoCommand, "exe" | "args" | "cwd" | "uid">): string {
  const h = createHash("sha256");
  const field = (s: string) => {
    const b = Buffer.from(s, "utf8");
    h.update(`${b.length}:`);
    h.update(b);
  };
  field("clawsudo-v1");
  field(String(c.uid));
  field(c.cwd);
  field(c.exe);
  field(String(c.args.length));
  for (const a of c.args) field(a);
  return h.digest("hex");
}

/** A command line for people (alerts, prompts): shell-quoted where needed. */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}
