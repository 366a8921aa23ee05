// Per-call cost of open() and of spawning a program under libclawguard.so, against the same loop
// without it, with the shipped preload policy (rules for read, write, exec and connect).
// Run: node scripts/run-bench.mjs preload
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { table } from "./timing.js";

const root = process.cwd();
const lib = join(root, "native", "preload", "build", "libclawguard.so");
if (!existsSync(lib)) {
  console.log("preload: skipped (libclawguard.so not built: npm run build:native)");
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), "clawav-bench-preload-"));
chmodSync(dir, 0o755);
const C = `#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char **argv) {
  long n = atol(argv[2]);
  double a = now();
  if (!strcmp(argv[1], "open")) {
    for (long i = 0; i < n; i++) { int fd = open(argv[3], O_RDONLY); if (fd < 0) return 1; close(fd); }
  } else if (!strcmp(argv[1], "execve")) {
    char *av[] = { argv[3], NULL };
    for (long i = 0; i < n; i++) { pid_t p = fork(); if (p == 0) { execve(argv[3], av, environ); _exit(127); } int st; waitpid(p, &st, 0); if (WEXITSTATUS(st) != 0) return 1; }
  } else {
    char *av[] = { argv[3], NULL };
    for (long i = 0; i < n; i++) { pid_t p; if (posix_spawn(&p, argv[3], NULL, NULL, av, environ)) return 1; int st; waitpid(p, &st, 0); }
  }
  printf("%.1f\\n", (now() - a) / n);
  return 0;
}
`;
writeFileSync(join(dir, "loop.c"), C);
if (spawnSync("cc", ["-O2", "-o", join(dir, "loop"), join(dir, "loop.c")]).status !== 0) {
  console.log("preload: skipped (no C compiler)");
  process.exit(0);
}
const policy = join(dir, "policy.json");
const shipped = JSON.parse(readFileSync(join(root, "policies", "preload-policy.json"), "utf8")) as Record<string, unknown>;
writeFileSync(policy, JSON.stringify({ ...shipped, log: join(dir, "preload.log") }), { mode: 0o644 });
const target = join(dir, "a", "b", "file.txt");
spawnSync("mkdir", ["-p", join(dir, "a", "b")]);
writeFileSync(target, "x");

const measure = (args: string[], env: NodeJS.ProcessEnv, cwd?: string): number => {
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(join(dir, "loop"), args, { encoding: "utf8", env, ...(cwd !== undefined ? { cwd } : {}) });
    const v = Number(r.stdout.trim());
    if (r.status === 0 && Number.isFinite(v)) best = Math.min(best, v);
  }
  return best;
};
const bare = { PATH: "/usr/bin:/bin" };
const guarded = { ...bare, LD_PRELOAD: lib, CLAWAV_PRELOAD_POLICY: policy };
const rows: (string | number)[][] = [["call", "without ns", "with guard ns", "added ns", "ratio"]];
for (const [name, args] of [
  ["open()+close(), 4-level path", ["open", "200000", target]],
  ["open()+close(), relative name", ["open", "200000", "file.txt"]],
  ["fork()+execve()+wait of /bin/true", ["execve", "2000", "/bin/true"]],
  ["posix_spawn()+wait of /bin/true", ["spawn", "2000", "/bin/true"]],
] as const) {
  const cwd = name.includes("relative") ? join(dir, "a", "b") : undefined;
  // Alternating runs, best of each: the machine's noise hits both sides alike.
  let w = Infinity;
  let g = Infinity;
  for (let i = 0; i < 3; i++) {
    w = Math.min(w, measure([...args], bare, cwd));
    g = Math.min(g, measure([...args], guarded, cwd));
  }
  rows.push([name, w.toFixed(0), g.toFixed(0), (g - w).toFixed(0), (g / w).toFixed(2)]);
}
console.log(`libclawguard.so, shipped policy (${(shipped.deny_paths_read as unknown[]).length} read, ${(shipped.deny_paths_write as unknown[]).length} write, ${(shipped.deny_exec as unknown[]).length} exec, ${(shipped.deny_connect as unknown[]).length} connect rules); best of 15 alternating runs`);
console.log(table(rows));
console.log("goal: at most 1000 ns added per open(); a spawn also pays for loading the guard and parsing its policy in the child");
rmSync(dir, { recursive: true, force: true });
