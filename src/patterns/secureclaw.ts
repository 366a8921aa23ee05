// SecureClaw's own pattern files, as ClawAV read them (secureclaw.vendor_dir): the injection
// phrases by category (injection-patterns.json) and the privacy rules (privacy-rules.json), each
// taken into clawav's entries. Their regexes are unbounded, so they run (in RE2) over the whole text.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { RE2JS } from "re2js";
import type { Severity } from "../events/index.js";
import type { CompiledEntry, PatternDb } from "./load.js";

export interface VendorResult {
  dbs: PatternDb[];
  /** What could not be taken, and why (an entry RE2 refuses, a file not of a known shape). */
  skipped: string[];
  /** The newest file's age in days. */
  ageDays?: number;
}

const META = /[\\.*+?()[\]{}|^$]/;
const unescape = (s: string) => s.replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
const SEVERITY: Record<string, Severity> = { low: "info", medium: "warning", high: "warning", critical: "critical" };
const ACTION: Record<string, CompiledEntry["action"]> = { block: "block", remove: "redact", rewrite: "warn" };

export function loadSecureClaw(dir: string, now = Date.now()): VendorResult {
  const out: VendorResult = { dbs: [], skipped: [] };
  const ages: number[] = [];
  const inj = join(dir, "injection-patterns.json");
  if (existsSync(inj)) {
    ages.push((now - statSync(inj).mtimeMs) / 86_400_000);
    const data = JSON.parse(readFileSync(inj, "utf8")) as { version?: string; lastUpdated?: string; patterns?: Record<string, unknown> };
    const entries: CompiledEntry[] = [];
    for (const [cat, list] of Object.entries(data.patterns ?? {})) {
      if (!Array.isArray(list)) continue;
      list.forEach((p, i) => {
        if (typeof p !== "string") return;
        const id = `secureclaw.${cat.replace(/_/g, "-")}.${i}`;
        const text = unescape(p);
        const base = { id, db: "secureclaw-injection", description: `SecureClaw ${cat.replace(/_/g, " ")}: ${p}`, severity: "warning" as const, action: "alert" as const, category: "EXECUTION" as const };
        if (!META.test(text)) {
          if (text.length >= 3) entries.push({ ...base, phrases: [text] });
          else entries.push({ ...base, regex: text, re: RE2JS.compile(RE2JS.quote(text)) });
          return;
        }
        try {
          entries.push({ ...base, regex: text, re: RE2JS.compile(text, RE2JS.CASE_INSENSITIVE) });
        } catch (e) {
          out.skipped.push(`${inj}: ${cat}[${i}] ${JSON.stringify(p)}: ${(e as Error).message}`);
        }
      });
    }
    out.dbs.push({ name: "secureclaw-injection", version: data.version ?? "?", updated: data.lastUpdated ?? "?", file: inj, entries });
  }
  const priv = join(dir, "privacy-rules.json");
  if (existsSync(priv)) {
    ages.push((now - statSync(priv).mtimeMs) / 86_400_000);
    const data = JSON.parse(readFileSync(priv, "utf8")) as { version?: string; rules?: { name?: string; description?: string; pattern?: string; flags?: string; severity?: string; action?: string }[] };
    const entries: CompiledEntry[] = [];
    for (const [i, r] of (data.rules ?? []).entries()) {
      if (typeof r.pattern !== "string" || typeof r.name !== "string") {
        out.skipped.push(`${priv}: rules[${i}]: no name or pattern`);
        continue;
      }
      try {
        entries.push({ id: `secureclaw.privacy.${r.name.replace(/_/g, "-")}`, db: "secureclaw-privacy", description: `SecureClaw privacy: ${r.description ?? r.name}`, severity: SEVERITY[r.severity ?? ""] ?? "warning", action: ACTION[r.action ?? ""] ?? "warn", category: "DATA_EXFIL", regex: r.pattern, re: RE2JS.compile(r.pattern, r.flags?.includes("i") ? RE2JS.CASE_INSENSITIVE : 0) });
      } catch (e) {
        out.skipped.push(`${priv}: rules[${i}] ${r.name}: ${(e as Error).message}`);
      }
    }
    out.dbs.push({ name: "secureclaw-privacy", version: data.version ?? "?", updated: "?", file: priv, entries });
  }
  if (ages.length > 0) out.ageDays = Math.min(...ages);
  return out;
}
