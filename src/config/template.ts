// The installed config: every key the loader accepts, commented out at its default, so a person
// sees what can be set and a file with nothing uncommented is exactly the built-in defaults.
import type { z } from "zod";
import { defaultConfig, NOT_SUPPORTED_YET } from "./load.js";
import { configSchema } from "./schema.js";

/** The object schema under a section's default/prefault wrappers. */
function objectOf(s: z.ZodType): z.ZodObject | undefined {
  let x: z.ZodType = s;
  for (let i = 0; i < 6; i++) {
    const def = x._zod.def as { type: string; innerType?: z.ZodType };
    if (def.type === "object") return x as z.ZodObject;
    if (!def.innerType) return undefined;
    x = def.innerType;
  }
  return undefined;
}

function toml(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toml).join(", ")}]`;
  // An inline table: an array of tables' default reads back as written.
  if (v !== null && typeof v === "object") return `{ ${Object.entries(v).map(([k, x]) => `${k} = ${toml(x)}`).join(", ")} }`;
  return String(v);
}

export interface TemplateChoices {
  /** Agent users (name → uid), written as live [[agents]] entries. */
  agents?: readonly { name: string; uid: number }[];
  profile?: string;
  /** Live keys the installer sets (section → key → value), e.g. the preload library's path. */
  set?: Record<string, Record<string, unknown>>;
}

export function configTemplate(c: TemplateChoices = {}): string {
  const def = defaultConfig() as unknown as Record<string, unknown>;
  const refused = new Set(NOT_SUPPORTED_YET.map(([p]) => p));
  const out = [
    "# clawav's config. Every key is listed, commented out at its built-in default: a line left",
    "# commented means the default. Check a change with: clawav config check /etc/clawav/config.toml",
    "# (file:line: key: what is wrong). SIGHUP re-reads policies; other changes need a restart, or",
    "# clawav admin config-update FILE, which checks, applies and writes this file.",
    "",
  ];
  const top: string[] = [];
  const sections: string[] = [];
  for (const [name, schema] of Object.entries(configSchema.shape)) {
    if (refused.has(name)) continue;
    const obj = objectOf(schema as z.ZodType);
    if (name === "agents") continue;
    if (!obj) {
      top.push(`# ${name} = ${toml(def[name])}`);
      continue;
    }
    const values = (def[name] ?? {}) as Record<string, unknown>;
    const live = c.set?.[name] ?? {};
    const lines: string[] = [];
    if (name === "profile" && c.profile !== undefined) live.name = c.profile;
    for (const key of Object.keys(obj.shape)) {
      if (refused.has(`${name}.${key}`)) continue;
      if (key in live) lines.push(`${key} = ${toml(live[key])}`);
      else lines.push(values[key] === undefined ? `# ${key} =            (unset)` : `# ${key} = ${toml(values[key])}`);
    }
    // Headers stay live (an empty table is the defaults): a key uncommented lands in its own section.
    sections.push(`[${name}]`, ...lines, "");
  }
  out.push(...top, "");
  for (const a of c.agents ?? []) out.push("[[agents]]", `name = ${toml(a.name)}`, `uid = ${a.uid}`, "");
  if ((c.agents ?? []).length === 0) out.push("# [[agents]]", '# name = "openclaw"', "# uid = 1001", "");
  out.push(...sections);
  return out.join("\n");
}
