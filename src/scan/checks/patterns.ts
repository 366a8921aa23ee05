// The pattern databases clawav reads: clawav's own (shipped in the package) and SecureClaw's
// (secureclaw.vendor_dir), each expected to be younger than a week.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fail, pass, some, unknown, type Check } from "../check.js";
import type { ScanContext } from "../context.js";
import { loadPatternDir, PATTERNS_DIR, PatternSet, PUBLIC_KEY_FILE, SKILL_DATABASES } from "../../patterns/index.js";
import { PACKAGE_ROOT } from "../../version.js";

const WEEK_MS = 7 * 24 * 3600 * 1000;

function databases(ctx: ScanContext): string[] {
  const dirs = [join(PACKAGE_ROOT, "patterns"), ...(ctx.config.secureclaw.vendor_dir ? [ctx.config.secureclaw.vendor_dir] : [])];
  // The package's own folder is this clawav's, not the scanned root's.
  return dirs.flatMap((d) => {
    const list = d.startsWith(PACKAGE_ROOT) ? scanLocal(d) : ctx.list(d).map((f) => join(d, f));
    return list.filter((f) => /\.(json|ya?ml)$/.test(f));
  });
}

function scanLocal(dir: string): string[] {
  try {
    return readdirSync(dir).map((f) => join(dir, f));
  } catch {
    return [];
  }
}


export const PATTERN_CHECKS: Check[] = [
  {
    id: "patterns.fresh",
    title: "the pattern databases are younger than 7 days",
    severity: "warning",
    category: "SEC_TAMPER",
    remedy: "update clawav (its databases ship with it) and SecureClaw's (secureclaw.vendor_dir)",
    run: (ctx) => {
      const files = databases(ctx);
      if (files.length === 0) return unknown(`no pattern database found (${join(PACKAGE_ROOT, "patterns")} is empty or missing; secureclaw.vendor_dir is unset)`);
      const old: string[] = [];
      for (const f of files) {
        let mtime: number;
        try {
          mtime = (f.startsWith(PACKAGE_ROOT) ? statSync(f) : ctx.stat(f)!).mtimeMs;
        } catch {
          continue;
        }
        if (ctx.now - mtime > WEEK_MS) old.push(`${f} (${Math.floor((ctx.now - mtime) / 86_400_000)} days)`);
      }
      return old.length === 0 ? pass(`${files.length} database file(s), none older than 7 days`) : fail(some(old));
    },
  },
  {
    id: "agent.skills-patterns",
    title: "the agents' installed skills carry no prompt injection or supply-chain indicator",
    severity: "critical",
    category: "EXECUTION",
    remedy: "read each skill named, remove it if you did not write it (the agent follows a skill's text as instructions)",
    run: (ctx) => {
      const r = loadPatternDir(PATTERNS_DIR, PUBLIC_KEY_FILE, true, SKILL_DATABASES);
      if (r.dbs.length === 0) return unknown(`no usable pattern database (${r.errors.map((e) => e.message).join("; ")})`);
      const set = new PatternSet(r.dbs);
      const files: string[] = [];
      for (const a of ctx.agents)
        for (const d of [".openclaw/workspace/skills", ".openclaw/skills", ".claude/skills", ".config/openclaw/skills"])
          for (const s of ctx.list(`${a.home}/${d}`)) if (ctx.stat(`${a.home}/${d}/${s}/SKILL.md`)?.isFile()) files.push(`${a.home}/${d}/${s}/SKILL.md`);
      const bad: string[] = [];
      for (const f of files) {
        const text = ctx.read(f);
        if (text === undefined || text.length > 1 << 20) continue;
        const hits = set.match(text).filter((h) => h.severity !== "info");
        if (hits.length > 0) bad.push(`${f}: ${hits.map((h) => `${h.id} ${JSON.stringify(h.match)}`).join(", ")}`);
      }
      return bad.length === 0 ? pass(`${files.length} skill file(s) read, nothing found`) : fail(some(bad, 3));
    },
  },
];
