import { readFileSync, statSync } from "node:fs";
import { EXIT, UserError } from "../errors/index.js";

/**
 * Reads KEY=VALUE lines from a .env file (comments, blank lines, `export ` prefixes, single or
 * double quotes). A variable already in the environment wins. A malformed line is an error that
 * names file and line; a file others can read is reported, since it holds secrets.
 */
export function readDotEnv(file: string): { vars: Record<string, string>; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { vars: {}, warnings: [] };
    throw new UserError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
  }
  const warnings: string[] = [];
  if ((statSync(file).mode & 0o044) !== 0) warnings.push(`${file} is readable by other users and holds secrets: chmod 600 ${file}`);
  const vars: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new UserError(`${file}:${i + 1}: not a KEY=VALUE line`);
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, "");
    vars[m[1]!] = v;
  }
  return { vars, warnings };
}

/** The environment with .env values filled in where the environment has none. */
export function withDotEnv(env: NodeJS.ProcessEnv, file: string): { env: NodeJS.ProcessEnv; warnings: string[] } {
  const { vars, warnings } = readDotEnv(file);
  const out: NodeJS.ProcessEnv = { ...vars };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return { env: out, warnings };
}
