import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BEHAVIOR_RULES, coverage, hasMitre, loadPolicies, MITRE_ID, mitreOf, TECHNIQUES } from "../../src/detect/index.js";
import { PATH_CLASSES } from "../../src/detect/behavior/index.js";
import { PACKAGE_ROOT } from "../../src/version.js";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("ATT&CK ids", () => {
  it("every behaviour rule, every finding id written in the code, every file class and every shipped policy rule has techniques, all known", () => {
    const ids = new Set<string>(BEHAVIOR_RULES.map((r) => r.id));
    // Finding ids other than the rule's own are written as `id: "x.y"` or `rule: "x-y"` literals.
    for (const f of [...sources(join(PACKAGE_ROOT, "src", "detect")).filter((x) => !x.endsWith("paths.ts")), join(PACKAGE_ROOT, "src", "gate", "engine.ts"), join(PACKAGE_ROOT, "src", "daemon", "sensor-alerts.ts")]) {
      for (const m of readFileSync(f, "utf8").matchAll(/\b(?:id|rule): "([a-z][a-z0-9_.-]+)"/g)) if (/[.-]/.test(m[1]!)) ids.add(m[1]!);
    }
    for (const c of PATH_CLASSES) {
      if (c.read) ids.add(`file.read.${c.id}`);
      if (c.write) ids.add(`file.write.${c.id}`);
    }
    for (const r of loadPolicies([join(PACKAGE_ROOT, "policies")]).rules) ids.add(r.name);
    for (const op of ["exec", "read", "write", "connect"]) ids.add(`preload-deny-${op}`);
    // Sequence rules fire with ids chosen in the engine.
    for (const s of ["recon.burst", "exec.dropped-and-run", "exfil.after-credential", "exfil.after-staging", "impact.encrypt-many"]) ids.add(s);
    const missing = [...ids].filter((id) => !hasMitre(id) && !/^(file\.read|file\.write)\.$/.test(id));
    expect(missing).toEqual([]);
    for (const id of ids) for (const t of mitreOf(id)) {
      expect(t).toMatch(MITRE_ID);
      expect(TECHNIQUES[t], `${id} → ${t} has a name and tactics`).toBeDefined();
    }
    expect(ids.size).toBeGreaterThan(120);
  });

  it("a rule of one's own without ids gets its category's technique", () => {
    expect(mitreOf("my-site-rule", "CRED_ACCESS")).toEqual(["T1552.001"]);
    expect(mitreOf("my-site-rule")).toEqual([]);
  });

  it("coverage lists each technique under each of its tactics, with the rules that raise it", () => {
    const cov = coverage();
    const history = cov.get("Defense Evasion")!.find((x) => x.id === "T1070.003");
    expect(history?.rules).toEqual(expect.arrayContaining(["evasion.history", "file.write.shell-history"]));
    expect(cov.get("Persistence")!.some((x) => x.id === "T1098.004")).toBe(true);
    expect(cov.get("Privilege Escalation")!.some((x) => x.id === "T1098.004")).toBe(true);
  });
});
