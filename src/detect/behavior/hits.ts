// What touching a path means, shared by the rule tables: the classes of paths.ts turned into hits
// for the process at hand, with the programs trusted to do it dropped to info.
import type { Category, EventKind, Severity } from "../../events/index.js";
import { interpreterCode } from "./code.js";
import { INTERPRETERS, type Facts } from "./facts.js";
import { classifyPath, type PathClass } from "./paths.js";

export interface Hit {
  summary: string;
  severity?: Severity;
  category?: Category;
  /** A more precise rule id than the rule's own (e.g. code.download-exec). */
  id?: string;
  /** Quarantine the agent at once (in enforce mode, when critical), not only alert. */
  action?: "quarantine";
}

/** Lets a rule judge commands nested inside code with the whole table. */
export interface RuleContext {
  judgeInner(outer: Facts, argv: readonly string[]): Hit[];
}

export interface BehaviorRule {
  id: string;
  category: Category;
  severity: Severity;
  description: string;
  kinds: readonly EventKind[];
  /** Only for these true tool identities; absent means any executable. */
  tools?: readonly string[];
  /** Also judge commands found inside `sh -c` code with this rule. */
  inner?: boolean;
  match(f: Facts, ctx: RuleContext): Hit[] | Hit | undefined;
}

export const TMP_DIRS = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/"];
export const PROTECTED_SERVICES = /^(auditd|clawav|clawav-.*|apparmor|ufw|firewalld|nftables|netfilter-persistent|laurel|falco|samhain)(\.service)?$/;
export const PROTECTED_PROCS = /^(auditd|clawav|clawav-.*|laurel|falco|samhain)$/;

export function notAllowed(f: Facts): string[] {
  return f.hosts.filter((h) => !f.hostCheck.hostAllowed(h));
}

export function credClasses(path: string): PathClass[] {
  return classifyPath(path).filter((c) => c.read?.category === "CRED_ACCESS");
}

/** Inline code (`python3 -c`, `node -e`) is never the trusted program itself, whatever its interpreter. */
export function trustedTool(f: Facts, list: readonly string[] | undefined): boolean {
  if (!list) return false;
  if (!list.includes(f.tool)) {
    const launched = launchedTool(f);
    return launched !== undefined && list.includes(launched);
  }
  return !(INTERPRETERS.has(f.tool) && interpreterCode(f.tool, f.args) !== undefined);
}

/** Package managers that are scripts: the interpreter runs them from a bin folder, or as a module. */
const LAUNCHED = /^(pip|pip3|pip3\.\d+|npm|npx|npm-cli\.js|npx-cli\.js|pnpm|yarn|twine|poetry|pipx|uv)$/;

/**
 * The package manager an interpreter runs (`python3 .venv/bin/pip install`, `python3 -m pip`,
 * `node …/npm/bin/npm-cli.js`): it reads ~/.netrc and its index settings as part of its job. Only
 * a script named so in a bin folder (a venv's, the system's, npm's own) counts, and never inline code.
 */
export function launchedTool(f: Facts): string | undefined {
  if (f.tool !== "python3" && f.tool !== "node") return undefined;
  const a = f.args;
  let i = 0;
  while (i < a.length && a[i]!.startsWith("-") && a[i] !== "-m") i++;
  if (a[i] === "-m") return f.tool === "python3" && a[i + 1] !== undefined && /^(pip|pip3|twine|pipx|poetry)$/.test(a[i + 1]!) ? a[i + 1]!.replace(/^pip3$/, "pip") : undefined;
  const script = a[i];
  if (script === undefined || interpreterCode(f.tool, a) !== undefined) return undefined;
  const slash = script.lastIndexOf("/");
  const name = script.slice(slash + 1);
  const dir = script.slice(0, slash + 1);
  if (!LAUNCHED.test(name) || !/(^|\/)bin\/$/.test(dir) || TMP_DIRS.some((d) => script.startsWith(d))) return undefined;
  return name.replace(/-cli\.js$/, "").replace(/^pip3(\.\d+)?$/, "pip");
}

const INTERPRETER_EXE = /^(node|nodejs|bun|deno|python3?(\.\d+)?|ruby\d*(\.\d+)?|php\d*(\.\d+)?)$/;

function spawnedByInterpreter(f: Facts): boolean {
  return f.parents.some((p) => INTERPRETER_EXE.test(p.slice(p.lastIndexOf("/") + 1)));
}

export function readHits(f: Facts, path: string, via: string): Hit[] {
  const out: Hit[] = [];
  for (const c of classifyPath(path)) {
    if (!c.read) continue;
    // An agent's runtime reads its own configuration; a program it started (an interpreter below
    // another interpreter in the process tree) is something else reading the agent's secrets.
    const trusted = trustedTool(f, c.trustedReaders) && !(c.id === "agent-config" && spawnedByInterpreter(f));
    // A tool doing its job leaves an info trace only for the most sensitive files (keys, hashes);
    // the agent reading its own config or a program its .env would otherwise flood the trail.
    if (trusted && c.read.severity !== "critical") continue;
    out.push({ id: `file.read.${c.id}`, category: c.read.category, severity: trusted ? "info" : c.read.severity, summary: `${f.tool} ${via} ${c.description}: ${path}` });
  }
  return out;
}

export function writeHits(f: Facts, path: string, via: string): Hit[] {
  const out: Hit[] = [];
  for (const c of classifyPath(path)) {
    if (!c.write) continue;
    const trusted = trustedTool(f, c.trustedWriters);
    if (trusted && c.write.severity !== "critical") continue;
    out.push({ id: `file.write.${c.id}`, category: c.write.category, severity: trusted ? "info" : c.write.severity, summary: `${f.tool} ${via} ${c.description}: ${path}` });
  }
  return out;
}

