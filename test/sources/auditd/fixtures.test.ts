import { describe, expect, it } from "vitest";
import { execOf, parseFixture } from "./fixtures.js";

// Fixtures recorded from the real auditd by scripts/record-fixtures.sh (commands run as an
// unprivileged user); the expected values are what that script ran.
describe("recorded auditd fixtures", () => {
  it("decodes argv with spaces, quotes, non-ASCII, tabs, empty strings and $", () => {
    const { events, asm } = parseFixture("exec-quoting");
    const e = execOf(events, "/usr/bin/echo");
    expect(e.process!.argv).toEqual(["/bin/echo", "hello world", `it's "quoted"`, "ünïcödé ✓", "tab\there", "", "$HOME"]);
    expect(e.syscall).toMatchObject({ name: "execve", arch: "x86_64", success: true, key: "clawav-fixture" });
    expect(e.process!.uid).toBeGreaterThanOrEqual(1000);
    expect(e.process!.auid).toBeNull();
    expect(e.process!.cwd).toMatch(/^\//);
    expect(e.file!.items[0]!.name).toBe("/bin/echo");
    expect(asm.stats.parseErrors).toBe(0);
  });

  it("keeps all 251 arguments of a long command line", () => {
    const e = execOf(parseFixture("exec-many-args").events, "/usr/bin/true");
    expect(e.process!.argv).toHaveLength(251);
    expect(e.process!.argv.slice(-2)).toEqual(["249", "250"]);
  });

  it("reassembles an argument the kernel split into aN[i] chunks", () => {
    const e = execOf(parseFixture("exec-long-arg").events, "/usr/bin/true");
    expect(e.process!.argv).toHaveLength(3);
    expect(e.process!.argv[1]).toBe("x".repeat(20000));
    expect(e.process!.argv[2]).toBe("after");
  });

  it("decodes connect to IPv4 and IPv6 loopback with the ports the program used", () => {
    const { events } = parseFixture("connect-inet");
    const py = execOf(events, "/usr/bin/python3.11");
    const ports = [...py.process!.argv[2]!.matchAll(/, (\d+)\)/g)].map((m) => Number(m[1]));
    const nets = events.filter((e) => e.kind === "net").map((e) => e.net);
    expect(nets).toEqual([
      { family: "inet", address: "127.0.0.1", port: ports[0] },
      { family: "inet6", address: "::1", port: ports[1] },
    ]);
    expect(events.find((e) => e.kind === "net")!.syscall!.name).toBe("connect");
  });

  it("decodes a unix socket connect", () => {
    const net = parseFixture("connect-unix").events.find((e) => e.kind === "net")!;
    expect(net.net!.family).toBe("unix");
    expect(net.net!.path).toMatch(/^\/tmp\/clawav-fixture\.[^/]+\/sock$/);
  });

  it("sees the shell opening a key file through a redirection (cat < file)", () => {
    const { events } = parseFixture("file-redirect");
    const open = events.find((e) => e.kind === "file" && e.file!.path.endsWith("/id_rsa") && e.process!.exe === "/usr/bin/bash");
    expect(open).toBeDefined();
    expect(open!.syscall!.name).toBe("openat");
  });

  it("keeps a non-UTF-8 file name, escaped without loss", () => {
    const { events } = parseFixture("file-nonutf8");
    const create = events.find((e) => e.kind === "file" && e.process!.exe === "/usr/bin/touch");
    expect(create!.file!.path).toMatch(/\/bad\\xff\\xfename$/);
    expect(execOf(events, "/usr/bin/touch").process!.argv).toEqual(["touch", "bad\\xff\\xfename"]);
  });

  it("reads the ENRICHED format: translated names after the 0x1d separator", () => {
    const e = execOf(parseFixture("exec-enriched").events, "/usr/bin/id");
    expect(e.process!.argv).toEqual(["/usr/bin/id", "-u"]);
    // No passwd lookup in this test: the name comes from the record's own UID="..." field.
    expect(e.process!.user).toBe("clawavtest");
    expect(e.syscall!.name).toBe("execve");
  });

  it("completes every recorded event without waiting for a timeout", () => {
    for (const f of ["exec-quoting", "connect-inet", "file-redirect", "shell-pipeline"]) {
      const { asm } = parseFixture(f);
      expect(asm.stats.forcedFlushes, f).toBe(0);
      expect(asm.stats.records, f).toBe(asm.stats.lines);
    }
  });
});
