import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { parsePolicyText, type PolicyError, type PolicyRule } from "../detect/policy/index.js";
import { UserError } from "../errors/index.js";
import { PACKAGE_ROOT } from "../version.js";

// An agent profile (seed 001) says, for one kind of agent, which processes are that agent, which
// of its files hold its configuration and secrets, what tools it normally runs, and rules of its
// own in the policy format. Profiles are data files shipped in the package's profiles/.

export const PROFILES_DIR = join(PACKAGE_ROOT, "profiles");
/** The profile that is every other profile at once. */
export const FULL = "full";

/** How processes are recognised as the agent: a process tree rooted at a command, a user's processes, or a container's. */
export type AgentSelector = { command: string } | { user: string } | { container: string };

export interface Profile {
  name: string;
  description: string;
  agents: AgentSelector[];
  /** Paths to watch (read, write, attributes): relative ones in every watched home, absolute as is. */
  watch: string[];
  /** The tools the agent normally runs (base names); an exec of another is an info alert. */
  tools: string[];
  /** The agent's identity and memory files (relative to each agent home): protected ones are restored. */
  identityFiles: IdentityFile[];
  /** The profile's own rules (its `rules:`, and the unusual-tool rule made from `tools`). */
  rules: PolicyRule[];
  file: string;
}

const KEYS = ["name", "description", "agents", "watch", "tools", "identity_files"] as const;

export interface IdentityFile {
  /** Relative to each agent home, or absolute; `*` matches within one path segment. */
  path: string;
  mode: "protected" | "watched";
}

export class ProfileError extends UserError {
  constructor(readonly errors: PolicyError[]) {
    super(errors.map((e) => `${e.file}${e.line !== undefined ? `:${e.line}:${e.column ?? 1}` : ""}: ${e.key !== undefined ? `${e.key}: ` : ""}${e.message}`).join("\n"));
  }
}

/** The names of the shipped profiles, sorted, `full` among them. */
export function profileNames(dir = PROFILES_DIR): string[] {
  const names = readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5));
  return [...new Set([...names, FULL])].sort();
}

/** Parses one profile file; the errors name the file, line and key. */
export function parseProfile(text: string, file: string): Profile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const errors: PolicyError[] = [];
  const at = (node: Node | null | undefined, key: string | undefined, message: string) => {
    const pos = node?.range ? lc.linePos(node.range[0]) : undefined;
    errors.push({ file, ...(pos ? { line: pos.line, column: pos.col } : {}), ...(key !== undefined ? { key } : {}), message });
  };
  for (const e of doc.errors) errors.push({ file, line: lc.linePos(e.pos[0]).line, message: e.message.split("\n")[0]! });
  if (errors.length > 0) throw new ProfileError(errors);
  const root = doc.contents;
  if (!isMap(root)) throw new ProfileError([{ file, message: "expected a mapping with name, description, agents, watch, tools and rules" }]);
  const get = (k: string): Node | undefined => root.items.find((p) => isScalar(p.key) && p.key.value === k)?.value as Node | undefined;
  const str = (k: string): string => {
    const n = get(k);
    if (isScalar(n) && typeof n.value === "string" && n.value !== "") return n.value;
    at(n ?? root, k, n ? "expected a non-empty string" : "missing");
    return "";
  };
  const strings = (k: string, ok: (s: string) => boolean, what: string): string[] => {
    const n = get(k);
    if (n === undefined) return [];
    if (!isSeq(n)) {
      at(n, k, `expected a list of ${what}`);
      return [];
    }
    const out: string[] = [];
    n.items.forEach((it, i) => {
      if (isScalar(it) && typeof it.value === "string" && ok(it.value)) out.push(it.value);
      else at(it as Node, `${k}[${i}]`, `expected ${what}`);
    });
    return out;
  };
  const name = str("name");
  if (name !== "" && !/^[a-z][a-z0-9-]*$/.test(name)) at(get("name"), "name", "expected lower-case letters, digits and -");
  const description = str("description");
  const agents: AgentSelector[] = [];
  const an = get("agents");
  if (!isSeq(an) || an.items.length === 0) at(an ?? root, "agents", "expected a list of { command: NAME }, { user: NAME } or { container: NAME }");
  else
    an.items.forEach((it, i) => {
      const m = it as Node;
      const pair = isMap(m) && m.items.length === 1 ? m.items[0]! : undefined;
      const k = pair && isScalar(pair.key) ? String(pair.key.value) : "";
      const v = pair && isScalar(pair.value) ? pair.value.value : undefined;
      if ((k === "command" || k === "user" || k === "container") && typeof v === "string" && /^[\w.+-]+$/.test(v)) agents.push(k === "command" ? { command: v } : k === "user" ? { user: v } : { container: v });
      else at(m, `agents[${i}]`, "expected { command: NAME }, { user: NAME } or { container: NAME } (a plain name)");
    });
  const watch = strings("watch", (s) => s !== "" && !s.split("/").includes(".."), "a path (relative to the home, or absolute; no ..)");
  const tools = strings("tools", (s) => /^[\w.+-]+$/.test(s), "a tool's base name");
  const identityFiles: IdentityFile[] = [];
  const idn = get("identity_files");
  if (idn !== undefined) {
    if (!isSeq(idn)) at(idn, "identity_files", "expected a list of { path: P, mode: protected | watched }");
    else
      idn.items.forEach((it, i) => {
        const m = it as Node;
        const path = isMap(m) ? m.get("path") : undefined;
        const mode = isMap(m) ? m.get("mode") : undefined;
        const extra = isMap(m) ? m.items.map((x) => (isScalar(x.key) ? String(x.key.value) : "")).filter((k) => k !== "path" && k !== "mode") : [];
        if (typeof path === "string" && path !== "" && !path.split("/").includes("..") && (mode === "protected" || mode === "watched") && extra.length === 0) identityFiles.push({ path, mode });
        else at(m, `identity_files[${i}]`, "expected { path: P, mode: protected | watched } (a path relative to the home or absolute, no ..)");
      });
  }
  const policy = parsePolicyText(text, file, KEYS);
  errors.push(...policy.errors);
  for (const r of policy.rules) if (!r.name.startsWith(`${name}-`)) errors.push({ file, key: "rules", message: `rule ${JSON.stringify(r.name)}: a profile's rule names begin with "${name}-"` });
  if (errors.length > 0) throw new ProfileError(errors);
  const rules = [...policy.rules];
  if (tools.length > 0) {
    // Made from the tools list in the policy format, so it is judged like any other rule.
    const gen = parsePolicyText(
      `rules:\n  - name: ${name}-unusual-tool\n    description: ${JSON.stringify(`${name} runs a tool outside its profile's usual ones`)}\n    match: { agent: [${name}] }\n    exceptions:\n      - command: ${JSON.stringify(tools)}\n    action: info\n    category: EXECUTION\n`,
      `${file} (tools)`,
    );
    rules.push(...gen.rules);
  }
  return { name, description, agents, watch, tools, identityFiles, rules, file };
}

const cache = new Map<string, Profile[]>();

/**
 * The profiles a name stands for: that profile, or all of them for `full`. An unknown name is a
 * user's mistake: the error lists the known ones.
 */
export function loadProfiles(name: string, dir = PROFILES_DIR): Profile[] {
  const key = `${dir}\u0000${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const names = profileNames(dir).filter((n) => n !== FULL);
  const want = name === FULL ? names : names.includes(name) ? [name] : undefined;
  if (!want) throw new UserError(`no agent profile ${JSON.stringify(name)}: known profiles are ${[...names, FULL].join(", ")} (clawav profiles list)`);
  const out = want.map((n) => {
    const file = join(dir, `${n}.yaml`);
    const p = parseProfile(readFileSync(file, "utf8"), file);
    if (p.name !== n) throw new ProfileError([{ file, key: "name", message: `the file is ${n}.yaml but names the profile ${JSON.stringify(p.name)}` }]);
    return p;
  });
  cache.set(key, out);
  return out;
}

/** The profiles the config names (`[profile] name`, or `clawav run --profile`); none by default. */
export function activeProfiles(config: { profile: { name?: string | undefined } }): Profile[] {
  return config.profile.name === undefined ? [] : loadProfiles(config.profile.name);
}

/** The agents the profiles define, as the process table takes them; a user this machine lacks selects nothing. */
export function profileAgents(profiles: readonly Profile[], uidOf: (user: string) => number | undefined): { name: string; uid?: number; command?: string; container?: string }[] {
  const out: { name: string; uid?: number; command?: string; container?: string }[] = [];
  for (const p of profiles)
    for (const a of p.agents) {
      if ("command" in a) out.push({ name: p.name, command: a.command });
      else if ("container" in a) out.push({ name: p.name, container: a.container });
      else {
        const uid = uidOf(a.user);
        if (uid !== undefined) out.push({ name: p.name, uid });
      }
    }
  return out;
}

/** The users the profiles name (their homes are watched like a watched user's). */
export function profileUsers(profiles: readonly Profile[]): string[] {
  return [...new Set(profiles.flatMap((p) => p.agents.flatMap((a) => ("user" in a ? [a.user] : []))))];
}

/** The paths the profiles watch on this machine: relative ones in each of the homes. */
export function profileWatches(profiles: readonly Profile[], homes: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of profiles)
    for (const w of p.watch) {
      if (w.startsWith("/")) out.add(w.replace(/\/+$/, "") || "/");
      else for (const h of homes) out.add(`${h.replace(/\/+$/, "")}/${w.replace(/\/+$/, "")}`);
    }
  return [...out];
}
