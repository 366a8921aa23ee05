import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:net";
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { auditdUsable, runAsUser, sleep, TEST_USER, userIds, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import type { Event } from "../../src/events/index.js";

const live = auditdUsable();

describe.skipIf(!live)("live auditd → events (root, real auditd, actions as an unprivileged user)", () => {
  let d: DaemonUnderTest;
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
    d = DaemonUnderTest.withTempState();
    await d.start();
  });
  afterAll(async () => {
    const r = await d?.stop();
    server?.close();
    expect(r?.code).toBe(0);
  });

  const execOf = (marker: string) => (e: Event) => e.kind === "exec" && e.syscall?.success === true && (e.process?.argv ?? []).includes(marker);

  it("shows a command with the right argv (spaces, quotes, non-ASCII), cwd, uid, exe and paths", async () => {
    const marker = `m-${process.pid}-${Date.now()}`;
    const args = [marker, "two words", `it's "quoted"`, "ünïcödé ✓", "", "tab\there"];
    const u = userIds(TEST_USER);
    const r = await runAsUser("/bin/echo", args);
    expect(r.code).toBe(0);
    const e = await d.waitEvent("the echo exec", execOf(marker));
    expect(e.process!.argv).toEqual(["/bin/echo", ...args]);
    expect(e.process!.uid).toBe(u.uid);
    expect(e.process!.user).toBe(TEST_USER);
    expect(e.process!.cwd).toBe(u.home);
    expect(e.process!.exe).toBe("/usr/bin/echo");
    expect(e.file!.items.map((i) => i.name)).toContain("/bin/echo");
    expect(e.source).toBe("auditd");
    expect(e.fidelity).toBe("kernel");
    expect(e.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it("keeps 250 arguments", async () => {
    const marker = `many-${Date.now()}`;
    const args = [marker, ...Array.from({ length: 250 }, (_, i) => `arg${i}`)];
    await runAsUser("/bin/true", args);
    const e = await d.waitEvent("the 250-argument exec", execOf(marker));
    expect(e.process!.argv).toEqual(["/bin/true", ...args]);
  });

  it("shows a connect with address and port", async () => {
    const marker = `conn-${Date.now()}`;
    const r = await runAsUser("python3", ["-c", `import socket,sys; socket.create_connection(('127.0.0.1', ${port})).close()`, marker]);
    expect(r.stderr).toBe("");
    const exec = await d.waitEvent("the python exec", execOf(marker));
    const net = await d.waitEvent("the connect", (e) => e.kind === "net" && e.process?.pid === exec.process!.pid);
    expect(net.net).toEqual({ family: "inet", address: "127.0.0.1", port });
    expect(net.syscall!.name).toBe("connect");
    // The process table carries the exec's lineage into the connect event.
    expect(net.process!.lineage!.length).toBeGreaterThan(0);
  });

  it("sees a read of a watched credential file through a shell redirection", async () => {
    const u = userIds(TEST_USER);
    await runAsUser("mkdir", ["-p", `${u.home}/.ssh`]);
    await runAsUser("sh", ["-c", `echo KEY > ${u.home}/.ssh/id_rsa && chmod 600 ${u.home}/.ssh/id_rsa`]);
    // .ssh may have been created just now: make sure the watch is there (idempotent).
    spawnSync("auditctl", ["-w", `${u.home}/.ssh`, "-p", "rwa", "-k", "clawav"], { stdio: "ignore" });
    await sleep(200);
    const marker = `redir-${Date.now()}`;
    await runAsUser("bash", ["-c", `cat < ${u.home}/.ssh/id_rsa > /dev/null; true ${marker}`]);
    const e = await d.waitEvent("the shell opening id_rsa", (x) => x.kind === "file" && x.file!.path === `${u.home}/.ssh/id_rsa` && x.process!.exe === "/usr/bin/bash");
    expect(e.process!.uid).toBe(u.uid);
  });
});

describe.skipIf(!live)("rotation and restart (real auditd)", () => {
  it("delivers every event exactly once while auditd rotates under load", async () => {
    const d = DaemonUnderTest.withTempState();
    await d.start();
    const run = `rot-${Date.now()}`;
    const n = 120;
    const auditd = spawnSync("pidof", ["auditd"], { encoding: "utf8" }).stdout.trim();
    const inodeBefore = statSync("/var/log/audit/audit.log").ino;
    for (let i = 0; i < n; i++) {
      await runAsUser("/bin/true", [run, String(i)]);
      if (i === 40 || i === 80) spawnSync("kill", ["-USR1", auditd]);
    }
    const seen = () => d.events.filter((e) => e.kind === "exec" && e.syscall?.success && e.process!.argv[1] === run);
    await waitFor(`all ${n} marked execs`, () => (seen().length >= n ? true : undefined), 30_000).catch(() => undefined);
    await sleep(500);
    const counts = new Map<string, number>();
    for (const e of seen()) counts.set(e.process!.argv[2]!, (counts.get(e.process!.argv[2]!) ?? 0) + 1);
    expect([...counts.values()].filter((c) => c !== 1)).toEqual([]);
    expect(counts.size).toBe(n);
    expect(statSync("/var/log/audit/audit.log").ino).not.toBe(inodeBefore);
    const r = await d.stop();
    expect(r.code).toBe(0);
  });

  it("resumes after a restart from its cursor: nothing lost, nothing repeated", async () => {
    const d1 = DaemonUnderTest.withTempState();
    await d1.start();
    const run = `restart-${Date.now()}`;
    await runAsUser("/bin/true", [run, "before"]);
    await d1.waitEvent("the exec before the stop", (e) => e.process?.argv[1] === run);
    expect((await d1.stop()).code).toBe(0);
    await runAsUser("/bin/true", [run, "while-down"]);
    await sleep(300);
    const d2 = new DaemonUnderTest(d1.stateDir);
    await d2.start();
    await runAsUser("/bin/true", [run, "after"]);
    await d2.waitEvent("the exec after the restart", (e) => e.process?.argv[2] === "after" && e.process.argv[1] === run);
    const marks = d2.events.filter((e) => e.kind === "exec" && e.syscall?.success && e.process!.argv[1] === run).map((e) => e.process!.argv[2]);
    expect(marks).toEqual(["while-down", "after"]);
    await d2.stop();
  });
});
