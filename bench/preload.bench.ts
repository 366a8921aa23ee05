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
#include <sys/resource.h>
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
  struct rusage ru; getrusage(RUSAGE_SELF, &ru);
  printf("%.1f %.1f\\n", (now() - a) / n, (ru.ru_utime.tv_sec * 1e9 + ru.ru_utime.tv_usec * 1e3) / n);
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

/** Best wall time and best user CPU time per call (ns): the guard works in user space, syscalls do not. */
const measure = (args: string[], env: NodeJS.ProcessEnv, cwd?: string): [number, number] => {
  let wall = Infinity;
  let user = Infinity;
  for (let i = 0; i < 2; i++) {
    const r = spawnSync(join(dir, "loop"), args, { encoding: "utf8", env, ...(cwd !== undefined ? { cwd } : {}) });
    const [w, u] = r.stdout.trim().split(" ").map(Number);
    if (r.status === 0 && Number.isFinite(w) && Number.isFinite(u)) {
      wall = Math.min(wall, w!);
      user = Math.min(user, u!);
    }
  }
  return [wall, user];
};
const bare = { PATH: "/usr/bin:/bin" };
const guarded = { ...bare, LD_PRELOAD: lib, CLAWAV_PRELOAD_POLICY: policy };
const rows: (string | number)[][] = [["call", "without ns", "with guard ns", "added ns", "ratio", "user CPU added ns"]];
for (const [name, args] of [
  ["open()+close(), 4-level path", ["open", "100000", target]],
  ["open()+close(), relative name", ["open", "100000", "file.txt"]],
  ["fork()+execve()+wait of /bin/true", ["execve", "2000", "/bin/true"]],
  ["posix_spawn()+wait of /bin/true", ["spawn", "2000", "/bin/true"]],
] as const) {
  const cwd = name.includes("relative") ? join(dir, "a", "b") : undefined;
  // Alternating runs, best of each: the machine's noise hits both sides alike.
  const w = [Infinity, Infinity];
  const g = [Infinity, Infinity];
  for (let i = 0; i < 3; i++) {
    const a = measure([...args], bare, cwd);
    const b = measure([...args], guarded, cwd);
    for (const k of [0, 1]) {
      w[k] = Math.min(w[k]!, a[k]!);
      g[k] = Math.min(g[k]!, b[k]!);
    }
  }
  rows.push([name, w[0]!.toFixed(0), g[0]!.toFixed(0), (g[0]! - w[0]!).toFixed(0), (g[0]! / w[0]!).toFixed(2), (g[1]! - w[1]!).toFixed(0)]);
}
console.log(`libclawguard.so, shipped policy (${(shipped.deny_paths_read as unknown[]).length} read, ${(shipped.deny_paths_write as unknown[]).length} write, ${(shipped.deny_exec as unknown[]).length} exec, ${(shipped.deny_connect as unknown[]).length} connect rules); best of 6 alternating runs; user CPU is the guard's own work, the wall figure also carries the noise of the syscalls`);
console.log(table(rows));
console.log("goal: at most 1000 ns added per open(); a spawn also pays for loading the guard and parsing its policy in the child (user CPU of the parent only)");
rmSync(dir, { recursive: true, force: true });
