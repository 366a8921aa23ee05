// libclawguard.so on real programs: a C driver (fixtures/gatecheck.c) makes one libc call per run
// under LD_PRELOAD and prints what it saw; the guard's log lines are read back and checked.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../src/version.js";
import { IS_ROOT, TEST_USER, run, userIds } from "../helpers/system.js";

const LIB = join(PACKAGE_ROOT, "native", "preload", "build", "libclawguard.so");
const haveCc = spawnSync("cc", ["--version"], { stdio: "ignore" }).status === 0;
const usable = IS_ROOT && haveCc && existsSync(LIB);

let dir: string;
let bin: string;
let policyFile: string;
let logFile: string;
let secretDir: string;
let servers: Server[] = [];
let deniedPort = 0;
let allowedPort = 0;

interface LogLine {
  event: string;
  call?: string;
  op?: string;
  path?: string;
  resolved?: string;
  rule?: string;
  argv?: string[];
  addr?: string;
  port?: number;
  pid: number;
}

function logLines(): LogLine[] {
  return readFileSync(logFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as LogLine);
}

function guarded(args: string[], opts: { env?: Record<string, string>; cwd?: string; asUser?: boolean; exe?: string } = {}) {
  const u = opts.asUser ? userIds(TEST_USER) : undefined;
  return run(opts.exe ?? bin, args, {
    env: { PATH: "/usr/bin:/bin", LD_PRELOAD: LIB, CLAWAV_PRELOAD_POLICY: policyFile, ...(u ? { HOME: u.home } : {}), ...opts.env },
    ...(opts.cwd ? { cwd: opts.cwd } : u ? { cwd: "/" } : {}),
    ...(u ? { uid: u.uid, gid: u.gid } : {}),
  });
}

function listen(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.end());
    server.listen(0, host, () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe.skipIf(!usable)("libclawguard.so on real programs", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "clawguard-"));
    chmodSync(dir, 0o755);
    bin = join(dir, "gatecheck");
    const cc = spawnSync("cc", ["-Wall", "-Wextra", "-Werror", "-O2", "-pthread", "-o", bin, join(PACKAGE_ROOT, "test", "native", "fixtures", "gatecheck.c")], { encoding: "utf8" });
    expect(cc.stderr).toBe("");
    secretDir = join(dir, "secrets");
    mkdirSync(secretDir, { mode: 0o755 });
    writeFileSync(join(secretDir, "key"), "secret\n", { mode: 0o644 });
    mkdirSync(join(dir, "locked"), { mode: 0o777 });
    chmodSync(join(dir, "locked"), 0o777);
    symlinkSync(join(secretDir, "key"), join(dir, "innocent-link"));
    const a = await listen("127.0.0.1");
    const b = await listen("127.0.0.1");
    servers = [a.server, b.server];
    deniedPort = a.port;
    allowedPort = b.port;
    logFile = join(dir, "preload.log");
    writeFileSync(logFile, "", { mode: 0o622 });
    chmodSync(logFile, 0o622);
    policyFile = join(dir, "policy.json");
    writeFileSync(
      policyFile,
      JSON.stringify({
        version: 1,
        log: logFile,
        deny_exec: ["true --forbidden", { exe: "/usr/bin/false" }],
        deny_paths_read: [`${secretDir}/`, "~/.clawguard-test-secret"],
        deny_paths_write: [`${join(dir, "locked")}/`],
        deny_connect: [{ port: deniedPort }, { cidr: "127.0.0.2/32" }],
      }),
      { mode: 0o644 },
    );
  });

  afterAll(() => {
    for (const s of servers) s.close();
  });

  beforeEach(() => writeFileSync(logFile, ""));

  it("denies an exec through every exec entry point with EACCES, and logs the command", async () => {
    for (const call of ["execve", "execv", "execl"]) {
      const r = await guarded([call, "/usr/bin/true", "--forbidden"]);
      expect(r.stdout, call).toBe("errno=13\n");
    }
    for (const call of ["execvp", "execlp"]) expect((await guarded([call, "true", "--forbidden"])).stdout, call).toBe("errno=13\n");
    expect((await guarded(["posix_spawn", "/usr/bin/false"])).stdout).toBe("errno=13\n");
    expect((await guarded(["posix_spawnp", "false"])).stdout).toBe("errno=13\n");
    // system() and popen() run sh -c CMD: the string is judged as that, and the shell is guarded in turn.
    expect((await guarded(["system", "/usr/bin/true --forbidden"])).stdout).toBe("status=126\n");
    expect((await guarded(["popen", "/usr/bin/false; echo after"])).stdout).toBe("out=after\n");
    const lines = logLines();
    expect(lines.filter((l) => l.op === "exec").map((l) => l.call)).toEqual(expect.arrayContaining(["execve", "execv", "execvp", "posix_spawn", "posix_spawnp"]));
    const first = lines.find((l) => l.call === "execve")!;
    expect(first).toMatchObject({ event: "deny", rule: "deny_exec", resolved: "/usr/bin/true", argv: ["/usr/bin/true", "--forbidden"] });
  });

  it("lets allowed execs run", async () => {
    expect((await guarded(["posix_spawn", "/usr/bin/true", "--allowed"])).stdout).toBe("status=0\n");
    expect((await guarded(["system", "exit 3"])).stdout).toBe("status=3\n");
    expect(logLines()).toEqual([]);
  });

  it("judges opens by the resolved path: symlinks, .., dirfd and cwd-relative tricks do not get through", async () => {
    const key = join(secretDir, "key");
    expect((await guarded(["read", "/etc/hostname"])).stdout).toBe("ok\n");
    expect((await guarded(["read", key])).stdout).toBe("errno=13\n");
    expect((await guarded(["read", join(dir, "innocent-link")])).stdout).toBe("errno=13\n");
    expect((await guarded(["read", `${dir}/locked/../secrets/./key`])).stdout).toBe("errno=13\n");
    expect((await guarded(["openat", secretDir, "key"])).stdout).toBe("errno=13\n");
    expect((await guarded(["openat", dir, "secrets/key"])).stdout).toBe("errno=13\n");
    expect((await guarded(["read", "key"], { cwd: secretDir })).stdout).toBe("errno=13\n");
    expect((await guarded(["fopen", key, "r"])).stdout).toBe("errno=13\n");
    const lines = logLines();
    expect(lines).toHaveLength(7);
    expect(lines.every((l) => l.resolved === key && l.rule === "deny_paths_read")).toBe(true);
    expect(lines.find((l) => l.call === "openat")!.path).toBe("key");
  });

  it("denies writes into a denied directory, including creating a new file there", async () => {
    const target = join(dir, "locked", "new-file");
    expect((await guarded(["write", target])).stdout).toBe("errno=13\n");
    expect((await guarded(["creat", target])).stdout).toBe("errno=13\n");
    expect((await guarded(["fopen", target, "a"])).stdout).toBe("errno=13\n");
    expect(existsSync(target)).toBe(false);
    // Reading there is allowed: only writes are denied for this path.
    expect((await guarded(["fopen", "/etc/hostname", "r"])).stdout).toBe("ok\n");
    expect(logLines().map((l) => l.op)).toEqual(["write", "write", "write"]);
  });

  it("denies connects by port and by CIDR, and allows the rest", async () => {
    expect((await guarded(["connect", "127.0.0.1", String(deniedPort)])).stdout).toBe("errno=13\n");
    expect((await guarded(["connect", "127.0.0.1", String(allowedPort)])).stdout).toBe("ok\n");
    const other = await listen("127.0.0.2");
    servers.push(other.server);
    expect((await guarded(["connect", "127.0.0.2", String(other.port)])).stdout).toBe("errno=13\n");
    expect(logLines().map((l) => [l.addr, l.port])).toEqual([
      ["127.0.0.1", deniedPort],
      ["127.0.0.2", other.port],
    ]);
  });

  it("expands ~ to the user's home from the password database, not $HOME", async () => {
    const u = userIds(TEST_USER);
    const secret = join(u.home, ".clawguard-test-secret");
    writeFileSync(secret, "x", { mode: 0o644 });
    chownSync(secret, u.uid, u.gid);
    const r = await guarded(["read", secret], { asUser: true, env: { HOME: "/nonexistent" } });
    expect(r.stdout).toBe("errno=13\n");
  });

  it("keeps working in a multithreaded program", async () => {
    const r = await guarded(["threads", "/etc/hostname", join(secretDir, "key"), "200"]);
    expect(r.stdout).toBe("ok=1600 refused=1600 wrong=0\n");
    expect(logLines()).toHaveLength(1600);
  });

  it("fits on a thread with a 64 KiB stack, denials and their log lines included", async () => {
    const r = await guarded(["smallstack", join(secretDir, "key"), "/usr/bin/false"]);
    expect(r.stdout).toBe("open=13 exec=13\n");
    expect(logLines().map((l) => l.op)).toEqual(["read", "exec"]);
  });

  it("does not let a denied file get a second name, by hard link or by moving it", async () => {
    const key = join(secretDir, "key");
    const ln = await guarded(["-f", key, join(dir, "hardlink")], { exe: "/usr/bin/ln" });
    expect(ln.code).not.toBe(0);
    expect(existsSync(join(dir, "hardlink"))).toBe(false);
    const mv = await guarded([key, join(dir, "moved")], { exe: "/usr/bin/mv" });
    expect(mv.code).not.toBe(0);
    expect(existsSync(key)).toBe(true);
    expect(logLines().map((l) => l.call)).toEqual(expect.arrayContaining(["linkat", "renameat2"]));
  });

  it("puts LD_PRELOAD back when a child is started without it", async () => {
    const r = await guarded(["/usr/bin/env", "-u", "LD_PRELOAD", bin, "read", join(secretDir, "key")], { exe: "/usr/bin/env" });
    expect(r.stdout).toBe("errno=13\n");
  });

  it("refuses a policy file others can write, and then fails closed", async () => {
    const loose = join(dir, "loose.json");
    writeFileSync(loose, readFileSync(policyFile));
    chmodSync(loose, 0o666);
    const r = await guarded(["posix_spawn", "/usr/bin/true"], { env: { CLAWAV_PRELOAD_POLICY: loose } });
    expect(r.stderr).toContain("policy_rejected");
    expect(r.stderr).toContain("writable by nobody else");
    // No usable policy (the default /etc/clawav/preload-policy.json is absent here): execs are refused.
    if (!existsSync("/etc/clawav/preload-policy.json")) expect(r.stdout).toBe("errno=13\n");
  });
});
