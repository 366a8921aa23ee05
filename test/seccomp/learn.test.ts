import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandExists, runCli } from "../helpers/system.js";
import { parseStraceSummary } from "../../src/seccomp/learn.js";

const dir = mkdtempSync(join(tmpdir(), "clawav-learn-t-"));
const THREADS = `#include <pthread.h>
#include <stdio.h>
static void *work(void *p) { long *n = p; for (long i = 0; i < 100000; i++) *n += i % 7; return NULL; }
int main(void) {
  pthread_t t[8]; long n[8] = {0}; long sum = 0;
  for (int i = 0; i < 8; i++) pthread_create(&t[i], NULL, work, &n[i]);
  for (int i = 0; i < 8; i++) { pthread_join(t[i], NULL); sum += n[i]; }
  printf("threads=8 sum=%ld\\n", sum);
  return 0;
}
`;

describe.skipIf(!commandExists("strace") || !commandExists("cc"))("seccomp learn", () => {
  it("parses strace -c", () => {
    expect(parseStraceSummary("% time     seconds  usecs/call     calls    errors syscall\n------ ---\n 70.96    0.019397         312        62         4 futex\n  0.00    0.000000           0         4           pipe2\n------ ---\n100.00    0.027335          39       692        23 total\n")).toEqual(["futex", "pipe2"]);
  });

  it("a Node.js program runs under the whitelist learned from it, and is refused what it did not use", async () => {
    const wl = join(dir, "node.json");
    const script = "const fs = require('fs'); fs.writeFileSync(process.argv[1], 'x'); console.log('node ok', fs.readFileSync(process.argv[1], 'utf8'));";
    const learned = await runCli(["seccomp", "learn", "-o", wl, "--", process.execPath, "-e", script, join(dir, "a.txt")]);
    expect(learned.code).toBe(0);
    const w = JSON.parse(readFileSync(wl, "utf8")) as { syscalls: { name: string }[]; default_action: unknown };
    expect(w.syscalls.map((s) => s.name)).toEqual(expect.arrayContaining(["execve", "openat", "write", "futex"]));
    expect(w.default_action).toEqual({ errno: 1 });
    const r = await runCli(["seccomp", "exec", "--whitelist", wl, "--", process.execPath, "-e", script, join(dir, "b.txt")]);
    expect(r.stdout).toBe("node ok x\n");
    expect(r.code).toBe(0);
    // a syscall it never made is refused: mkdir through the same node binary fails with EPERM
    const m = await runCli(["seccomp", "exec", "--whitelist", wl, "--", process.execPath, "-e", `try { require('fs').mkdirSync(${JSON.stringify(join(dir, "d"))}); console.log('made') } catch (e) { console.log(e.code) }`]);
    expect(m.stdout).toBe("EPERM\n");
  });

  it("a multithreaded program runs under the whitelist learned from it; diff shows what differs", async () => {
    writeFileSync(join(dir, "t.c"), THREADS);
    expect(spawnSync("cc", ["-O1", "-pthread", "-o", join(dir, "threads"), join(dir, "t.c")]).status).toBe(0);
    const wl = join(dir, "threads.json");
    expect((await runCli(["seccomp", "learn", "-o", wl, "--", join(dir, "threads")])).code).toBe(0);
    const r = await runCli(["seccomp", "exec", "--whitelist", wl, "--", join(dir, "threads")]);
    // On a failure, say what the program said and what was learned (a path the learning run did not take).
    expect(r.stdout, `exit ${r.code}: ${r.stderr}; learned: ${readFileSync(wl, "utf8").replace(/\s+/g, " ")}`).toBe("threads=8 sum=2399960\n");
    expect(r.code).toBe(0);
    const d = await runCli(["seccomp", "diff", wl, join(dir, "node.json")]);
    expect(d.code).toBe(1);
    expect(d.stdout).toMatch(/^\+ epoll_/m);
    expect((await runCli(["seccomp", "diff", wl, wl])).stdout).toBe("");
  });
});
