import { spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";

export interface Timed {
  name: string;
  seconds: number;
  ok: boolean;
  note?: string;
}

/** Wall time of a command reading `input` on stdin (or by argument), best of `runs`. */
export function timeCommand(name: string, cmd: string, args: string[], opts: { stdinFile?: string; runs?: number; env?: NodeJS.ProcessEnv } = {}): Timed {
  let best = Infinity;
  let ok = true;
  let note: string | undefined;
  for (let i = 0; i < (opts.runs ?? 2); i++) {
    const stdin = opts.stdinFile ? openSync(opts.stdinFile, "r") : "ignore";
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: [stdin, "ignore", "pipe"], env: opts.env ?? process.env, maxBuffer: 64 << 20 });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (typeof stdin === "number") closeSync(stdin);
    if (r.error || (r.status !== 0 && r.status !== 1)) {
      ok = false;
      note = r.error ? r.error.message : `exit ${r.status}: ${r.stderr.toString().slice(0, 200)}`;
    }
    best = Math.min(best, s);
  }
  return { name, seconds: best, ok, ...(note !== undefined ? { note } : {}) };
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join("  ")).join("\n");
}
