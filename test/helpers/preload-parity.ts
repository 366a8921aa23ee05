// Runs generated preload policies through both readers: clawav's (TypeScript) and the guard's own
// parser (clawguard-check --batch, the same policy.c the guard runs) and lists disagreements.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parsePreloadPolicy } from "../../src/gate/preload-parse.js";
import { PACKAGE_ROOT } from "../../src/version.js";
import { generateHome, generatePolicy, rng } from "./preload-gen.js";

export const CHECKER = join(PACKAGE_ROOT, "native", "preload", "build", "clawguard-check");

export interface Disagreement {
  seed: number;
  home: string | undefined;
  text: string;
  clawav: string;
  guard: string;
}

export interface ParityRun {
  cases: number;
  accepted: number;
  disagreements: Disagreement[];
}

/** Cases seed0 .. seed0+n-1; each seed makes its own policy and home, so any case replays alone. */
export function runParity(seed0: number, n: number): ParityRun {
  const groups = new Map<string, { seed: number; bytes: Buffer }[]>();
  for (let i = 0; i < n; i++) {
    const r = rng(seed0 + i);
    const home = generateHome(r);
    const bytes = generatePolicy(r);
    const key = home ?? "";
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push({ seed: seed0 + i, bytes });
  }
  const out: ParityRun = { cases: n, accepted: 0, disagreements: [] };
  for (const [key, cases] of groups) {
    const home = key === "" ? undefined : key;
    const input = Buffer.concat(cases.flatMap(({ bytes }) => {
      const h = Buffer.alloc(4);
      h.writeUInt32LE(bytes.length);
      return [h, bytes];
    }));
    const r = spawnSync(CHECKER, [...(home === undefined ? [] : ["--home", home]), "--batch"], { input, maxBuffer: 1 << 30, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`clawguard-check --batch exited ${r.status}: ${r.stderr}`);
    const lines = r.stdout.split("\n");
    cases.forEach(({ seed, bytes }, i) => {
      const guard = lines[i] ?? "(no answer)";
      const v = parsePreloadPolicy(bytes, () => home);
      const clawav = v.ok ? "ok" : `invalid: ${v.message}`;
      if (v.ok) out.accepted++;
      if (v.ok !== guard.startsWith("ok")) out.disagreements.push({ seed, home, text: bytes.toString("latin1").slice(0, 300), clawav, guard });
    });
  }
  return out;
}
