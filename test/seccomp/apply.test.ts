import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandExists, runCli } from "../helpers/system.js";
import { createServer, type Server } from "node:net";
import { PACKAGE_ROOT } from "../../src/version.js";

const launcher = join(PACKAGE_ROOT, "native", "seccomp-run", "build", "seccomp-run");
const dir = mkdtempSync(join(tmpdir(), "clawav-sc-apply-"));
const prog = join(dir, "probe");

// A static program, so that the whitelist needs only what it really calls.
const SOURCE = `#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>
int main(int argc, char **argv) {
  int s1 = socket(AF_INET, SOCK_STREAM, 0); int e1 = errno;
  int s2 = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL)); int e2 = errno;
  int m = mkdir(argv[1], 0700); int e3 = errno;
  printf("inet=%d/%d packet=%d/%d mkdir=%d/%d\\n", s1 >= 0, s1 >= 0 ? 0 : e1, s2 >= 0, s2 >= 0 ? 0 : e2, m, m == 0 ? 0 : e3);
  fflush(stdout);
  if (argc > 2) ptrace(PTRACE_TRACEME, 0, 0, 0);
  return 0;
}
`;

const BASE = ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "readlink", "getrandom", "mprotect", "newfstatat", "fstat", "write", "exit_group", "exit"];

function whitelist(extra: object[]): string {
  const f = join(dir, `w-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(f, JSON.stringify({ version: "1.0.0", default_action: { errno: 1 }, syscalls: [...BASE.map((name) => ({ name, permission: "ALLOW" })), ...extra] }));
  return f;
}

let built = false;
beforeAll(() => {
  if (!commandExists("cc")) return;
  writeFileSync(join(dir, "probe.c"), SOURCE);
  built = spawnSync("cc", ["-static", "-O1", "-o", prog, join(dir, "probe.c")]).status === 0;
});

describe("real programs under real seccomp filters", () => {
  it("the launcher is built", () => {
    expect(existsSync(launcher)).toBe(commandExists("cc"));
  });

  it.skipIf(!commandExists("cc"))("an allowed program runs; socket(AF_INET) is allowed, AF_PACKET refused; a DENY returns its errno", async () => {
    expect(built).toBe(true);
    const w = whitelist([
      { name: "socket", permission: "CONDITIONAL", conditions: [{ arg: 0, op: "eq", value: 2 }] },
      { name: "mkdir", permission: "DENY", action: { errno: 13 } },
    ]);
    const r = await runCli(["seccomp", "exec", "--whitelist", w, "--", prog, join(dir, "made")]);
    expect(r.stdout).toBe("inet=1/0 packet=0/1 mkdir=-1/13\n");
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, "made"))).toBe(false);
    // the same program without a filter: everything succeeds (as root), so the filter made the difference
    const free = spawnSync(prog, [join(dir, "made-free")], { encoding: "utf8" });
    expect(free.stdout).toMatch(/^inet=1\/0 packet=1\/0 mkdir=0\/0/);
  });

  it.skipIf(!commandExists("cc"))("a KILL_PROCESS entry ends the process by SIGSYS", async () => {
    const w = whitelist([
      { name: "socket", permission: "ALLOW" },
      { name: "mkdir", permission: "ALLOW" },
      { name: "ptrace", permission: "DENY", action: "KILL_PROCESS" },
    ]);
    const r = await runCli(["seccomp", "exec", "--whitelist", w, "--", prog, join(dir, "made2"), "ptrace"]);
    expect(r.stdout).toMatch(/^inet=1\/0 packet=1\/0 mkdir=0\/0/);
    expect(r.code).toBe(128 + 31);
  });

  it("says what is wrong with a whitelist, by JSON path, exit 65", async () => {
    const f = join(dir, "bad.json");
    writeFileSync(f, JSON.stringify({ version: "1.0.0", default_action: "ALLOW", syscalls: [{ name: "socket", permission: "CONDITIONAL", conditions: [{ arg: 9, op: "eq", value: 1 }] }] }));
    const r = await runCli(["seccomp", "validate", f]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`${f}: $.syscalls[0].conditions[0].arg: must be <= 5`);
    const ok = await runCli(["seccomp", "validate", join(PACKAGE_ROOT, "examples", "seccomp-whitelist.example.json")]);
    expect(ok.stdout).toMatch(/^OK: .*35 syscalls/);
  });

  it("refuses a USER_NOTIF whitelist it has no supervisor for", async () => {
    const f = join(dir, "notif.json");
    writeFileSync(f, JSON.stringify({ version: "1.0.0", default_action: "ALLOW", syscalls: [{ name: "mkdir", permission: "DENY", action: "USER_NOTIF" }] }));
    const r = await runCli(["seccomp", "exec", "--whitelist", f, "--", "/bin/true"]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/USER_NOTIF needs a supervisor/);
  });

  it("enforces port rules with Landlock: the allowed port connects, another is refused", async () => {
    const servers = await Promise.all([0, 1].map(() => new Promise<Server>((r) => { const s = createServer((c) => c.end()); s.listen(0, "127.0.0.1", () => r(s)); })));
    const [okPort, badPort] = servers.map((s) => (s.address() as { port: number }).port);
    try {
      const f = join(dir, "ports.json");
      writeFileSync(f, JSON.stringify({ version: "1.0.0", default_action: "ALLOW", syscalls: [], ports: { connect_tcp: [okPort] } }));
      const connect = (port: number) => runCli(["seccomp", "exec", "--whitelist", f, "--", "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`]);
      const ok = await connect(okPort!);
      expect(ok.stdout).toBe("connected\n");
      expect(ok.code).toBe(0);
      const bad = await connect(badPort!);
      expect(bad.stdout).toBe("");
      expect(bad.stderr).toMatch(/Permission denied/);
      expect(bad.code).not.toBe(0);
      // without the rule both connect: the refusal was Landlock's
      const free = spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${badPort} && echo connected`], { encoding: "utf8" });
      expect(free.stdout).toBe("connected\n");
    } finally {
      for (const s of servers) s.close();
    }
  });
});
