// The DNS answers sensor, live: real bpftrace on libc's getaddrinfo, a real daemon, and an
// unprivileged process resolving names through its own /etc/hosts (a private mount namespace, so
// the machine's resolver is never touched and nothing leaves loopback).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditdUsable, commandExists, IS_ROOT, run, TEST_USER, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

const live = IS_ROOT && auditdUsable() && commandExists("bpftrace") && commandExists("unshare");
const ADDRESS = "127.0.0.78";

describe.skipIf(!live)("DNS answers seen: a connect is judged by the name the process resolved", () => {
  let http: Server;
  let port = 0;
  let d: DaemonUnderTest;
  const dir = mkdtempSync(join(tmpdir(), "clawav-dns-"));
  const hosts = join(dir, "hosts");

  /** Runs argv as the test user in a mount namespace whose /etc/hosts is ours. */
  const asAgent = (...argv: string[]) => run("unshare", ["-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && u=$1 && shift && exec runuser -u "$u" -- "$@"', hosts, TEST_USER, ...argv]);

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    writeFileSync(hosts, `127.0.0.1 localhost\n${ADDRESS} mirror.allowed.test\n${ADDRESS} evil.test\n127.0.0.80 probe.allowed.test\n`, { mode: 0o644 });
    http = createServer((_q, r) => r.end("ok\n"));
    await new Promise<void>((r) => http.listen(0, ADDRESS, r));
    port = (http.address() as { port: number }).port;
    d = DaemonUnderTest.withTempState([], '[network]\nallowed_hosts = ["mirror.allowed.test", "probe.allowed.test"]\ndns_servers = ["127.0.0.1:1"]\n\n[ebpf]\ndns_answers = true\nsyscalls = false\n');
    await d.start();
    // bpftrace compiles and attaches in the background: resolve until the sensor reports an answer.
    await waitFor("the DNS answers sensor to see a lookup", async () => {
      // A name of its own, so no answer for the fetched address exists before the fetch does. The
      // asker lives on after its answer, as a client that connects does: one that exits first
      // (getent) is gone from /proc before its answer is read, and its exe is then unknown.
      await asAgent("python3", "-c", "import socket, time; socket.getaddrinfo('probe.allowed.test', 80); time.sleep(1.5)");
      return d.events.find((e) => e.kind === "dns" && e.dns?.name === "probe.allowed.test");
    }, 60_000, 500);
  }, 90_000);

  afterAll(async () => {
    await d?.stop();
    http?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const fetchAs = async (name: string) => {
    const tag = `clawav-dns-${name}-${Date.now()}`;
    const code = `import urllib.request; urllib.request.urlopen('http://${name}:${port}/${tag}').read()`;
    const r = await asAgent("python3", "-c", code);
    expect(r.code, r.stderr).toBe(0);
    return waitFor(`the connect to ${name}`, () => d.events.find((e) => e.kind === "net" && e.net?.address === ADDRESS && e.net.port === port && e.process?.argv.join(" ").includes(tag)), 20_000);
  };

  it("the answer is an event with the name, the addresses and the process that asked", () => {
    const e = d.events.find((x) => x.kind === "dns" && x.dns?.name === "probe.allowed.test")!;
    expect(e.dns!.addresses).toEqual(["127.0.0.80"]);
    expect(e.process!.comm).toBe("python3");
    expect(e.process!.exe).toMatch(/^\/usr\/bin\/python3(\.\d+)?$/);
    expect(e.source).toBe("dns-answers");
  });

  it("a connect to an allowed name's address is named after it and raises nothing; the same address by another name does", async () => {
    const ok = await fetchAs("mirror.allowed.test");
    expect(ok.net!.resolved_host).toBe("mirror.allowed.test");
    const bad = await fetchAs("evil.test");
    expect(bad.net!.resolved_host).toBe("evil.test");
    await waitFor("the alert on the connect to evil.test", () => d.alerts.find((a) => a.event.id === bad.id && a.rule === "net.inline-code-connect"), 10_000);
    expect(d.alerts.filter((a) => a.event.id === ok.id && a.severity !== "info")).toEqual([]);
  }, 60_000);
});
