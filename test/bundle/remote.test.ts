// RemotePolicy against a real HTTPS server on 127.0.0.1, its certificate from a CA made for the
// test: what it applies, what it refuses, and that the last good bundle stays through every failure.
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_FORMAT, bundleText, loadCurrent, RemotePolicy, sha256Hex, signBundle, type Bundle, type RemotePolicyOptions } from "../../src/bundle/index.js";
import { UserError } from "../../src/errors/index.js";
import { makeTestCa, type TestCa } from "../helpers/llm-upstream.js";
import { waitFor } from "../helpers/system.js";

const root = mkdtempSync(join(tmpdir(), "clawav-remote-"));
let ca: TestCa;
beforeAll(() => {
  ca = makeTestCa();
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (ca) rmSync(ca.dir, { recursive: true, force: true });
});

const k = generateKeyPairSync("ed25519");
const priv = k.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const pub = k.publicKey.export({ type: "spki", format: "pem" }).toString();

const policyOf = (version: string) => `rules:\n  - name: remote-${version.replace(/\./g, "-")}\n    match:\n      command: [nc]\n    action: warning\n`;
function bundleOf(version: string): Bundle {
  const content = policyOf(version);
  return signBundle({ format: BUNDLE_FORMAT, version, created: "2026-12-07T10:00:00.000Z", files: [{ path: "policies/remote.yaml", sha256: sha256Hex(content), content }] }, priv);
}

/** Serves whatever `body` holds, with `status`; `hang` leaves requests unanswered. */
class BundleServer {
  body = "";
  status = 200;
  hang = false;
  requests = 0;
  port = 0;
  private server: Server | undefined;

  async start(): Promise<void> {
    const srv = createServer({ cert: ca.cert, key: ca.key }, (req, res) => {
      this.requests++;
      req.resume();
      if (this.hang) return;
      res.writeHead(this.status, { "content-type": "application/json", "content-length": Buffer.byteLength(this.body) });
      res.end(this.body);
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    this.server = srv;
    this.port = (srv.address() as AddressInfo).port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}/clawav/bundle.json`;
  }

  async stop(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    if (!srv) return;
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }
}

/** A daemon's side: the version it runs, the folders it was given, the failures it was told of. */
class Host {
  running = "builtin";
  applied: { dir: string; version: string; policy: string }[] = [];
  failures: string[] = [];
  refuse: string | undefined;

  constructor(readonly stateDir = mkdtempSync(join(root, "state-"))) {}

  options(url: string, extra: Partial<RemotePolicyOptions> = {}): RemotePolicyOptions {
    return {
      url,
      publicKeyPem: pub,
      caFile: ca.caFile,
      intervalMs: 50,
      stateDir: this.stateDir,
      currentVersion: () => this.running,
      onApply: (dir, version) => {
        if (this.refuse !== undefined) throw new Error(this.refuse);
        // Read now, as a daemon would compile it now: the folder must be complete when onApply runs.
        this.applied.push({ dir, version, policy: readFileSync(join(dir, "policies", "remote.yaml"), "utf8") });
        this.running = version;
      },
      onFailure: (reason) => this.failures.push(reason),
      ...extra,
    };
  }

  failureMatching(re: RegExp): string | undefined {
    return this.failures.find((f) => re.test(f));
  }

  kept(): string | undefined {
    return loadCurrent(this.stateDir, pub)?.bundle.version;
  }
}

const started: RemotePolicy[] = [];
const servers: BundleServer[] = [];
afterEach(async () => {
  for (const r of started.splice(0)) r.stop();
  for (const s of servers.splice(0)) await s.stop();
});

async function serve(body: string): Promise<BundleServer> {
  const s = new BundleServer();
  s.body = body;
  await s.start();
  servers.push(s);
  return s;
}

function run(o: RemotePolicyOptions): RemotePolicy {
  const r = new RemotePolicy(o);
  started.push(r);
  r.start();
  return r;
}

/** The host has applied `version` from the server: it runs it, and it is what the state folder keeps. */
async function applied(host: Host, version: string): Promise<void> {
  await waitFor(`bundle ${version} applied`, () => (host.running === version && host.kept() === version ? true : undefined));
}

describe("RemotePolicy over HTTPS", () => {
  it("applies a newer bundle: its files on disk, onApply given the folder and version, then fetches again on its interval", async () => {
    const srv = await serve(bundleText(bundleOf("2026.12.7")));
    const host = new Host();
    const remote = run(host.options(srv.url));
    await applied(host, "2026.12.7");
    const dir = join(host.stateDir, "bundle", "2026.12.7");
    expect(host.applied).toEqual([{ dir, version: "2026.12.7", policy: policyOf("2026.12.7") }]);
    expect(readFileSync(join(dir, "policies", "remote.yaml"), "utf8")).toBe(policyOf("2026.12.7"));
    // The same version again is nothing to do: no second onApply, no failure.
    await waitFor("two more fetches", () => (remote.status().fetches >= 3 ? true : undefined));
    expect(host.applied).toHaveLength(1);
    expect(host.failures).toEqual([]);
    const st = remote.status();
    expect(st).toMatchObject({ url: srv.url, version: "2026.12.7", applied: 1, failures: 0, last_error: null });
    expect(st.last_ok_ts).not.toBeNull();
    expect(st.last_fetch_ts).not.toBeNull();
    // A newer one replaces it, and the older folder goes.
    srv.body = bundleText(bundleOf("2026.12.10"));
    await applied(host, "2026.12.10");
    expect(host.applied.map((a) => a.version)).toEqual(["2026.12.7", "2026.12.10"]);
    expect(existsSync(dir)).toBe(false);
  });

  it("refuses an older bundle as a rollback and keeps the one in force", async () => {
    const srv = await serve(bundleText(bundleOf("5")));
    const host = new Host();
    const remote = run(host.options(srv.url));
    await applied(host, "5");
    srv.body = bundleText(bundleOf("4.9"));
    const reason = await waitFor("the rollback refused", () => host.failureMatching(/rollback/));
    expect(reason).toBe("rollback refused: offered 4.9, running 5");
    expect(remote.status().last_error).toBe(reason);
    expect(host.running).toBe("5");
    expect(host.applied).toHaveLength(1);
    expect(host.kept()).toBe("5");
    expect(readFileSync(join(host.stateDir, "bundle", "5", "policies", "remote.yaml"), "utf8")).toBe(policyOf("5"));
    expect(existsSync(join(host.stateDir, "bundle", "4.9"))).toBe(false);
  });

  it("after a restart (no bundle running), the kept bundle's version is still the floor", async () => {
    const srv = await serve(bundleText(bundleOf("7")));
    const before = new Host();
    const first = run(before.options(srv.url));
    await applied(before, "7");
    first.stop();
    const after = new Host(before.stateDir);
    srv.body = bundleText(bundleOf("6"));
    run(after.options(srv.url));
    expect(await waitFor("the rollback refused", () => after.failureMatching(/rollback/))).toBe("rollback refused: offered 6, last applied 7");
    expect(after.applied).toEqual([]);
    // The kept version itself is applied again: the restarted host is not running it yet.
    srv.body = bundleText(bundleOf("7"));
    await applied(after, "7");
  });

  it("refuses a bundle with a bad signature and keeps the last good one", async () => {
    const srv = await serve(bundleText(bundleOf("1")));
    const host = new Host();
    run(host.options(srv.url));
    await applied(host, "1");
    // Version raised after signing: what a server that wanted its own rules in would try.
    srv.body = bundleText({ ...bundleOf("2"), version: "3" });
    const reason = await waitFor("the bad signature refused", () => host.failureMatching(/signature/));
    expect(reason).toMatch(/^bundle refused: bad signature/);
    expect(reason).not.toContain("\n");
    expect(host.running).toBe("1");
    expect(host.kept()).toBe("1");
    expect(existsSync(join(host.stateDir, "bundle", "3"))).toBe(false);
  });

  it("a server gone: the fetch fails, and the last good bundle is kept", async () => {
    const srv = await serve(bundleText(bundleOf("1")));
    const host = new Host();
    const remote = run(host.options(srv.url));
    await applied(host, "1");
    await srv.stop();
    const reason = await waitFor("the failed fetch", () => host.failureMatching(/ECONNREFUSED/));
    expect(reason).toMatch(/^fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(remote.status()).toMatchObject({ version: "1", applied: 1, last_error: expect.stringMatching(/ECONNREFUSED/) as unknown });
    expect(host.kept()).toBe("1");
    expect(readFileSync(join(host.stateDir, "bundle", "1", "policies", "remote.yaml"), "utf8")).toBe(policyOf("1"));
  });

  it("onApply throwing (rules that do not compile): the bundle is not kept, the last good one stays", async () => {
    const srv = await serve(bundleText(bundleOf("1")));
    const host = new Host();
    run(host.options(srv.url));
    await applied(host, "1");
    host.refuse = "policy errors:\n/x/remote.yaml:4:7: rules[0].match: unknown key";
    srv.body = bundleText(bundleOf("2"));
    const reason = await waitFor("the refused apply", () => host.failureMatching(/not applied/));
    expect(reason).toBe("bundle 2 not applied: policy errors:; /x/remote.yaml:4:7: rules[0].match: unknown key");
    expect(host.running).toBe("1");
    expect(host.kept()).toBe("1");
    expect(existsSync(join(host.stateDir, "bundle", "2"))).toBe(false);
    expect(existsSync(join(host.stateDir, "bundle", "1", "policies", "remote.yaml"))).toBe(true);
    // Tried again on the next fetch, and applied once the host takes it.
    host.refuse = undefined;
    await applied(host, "2");
  });

  it("an HTTP error status is a failure", async () => {
    const srv = await serve("not here");
    srv.status = 404;
    const host = new Host();
    run(host.options(srv.url));
    expect(await waitFor("the 404", () => host.failureMatching(/HTTP/))).toBe("fetch failed: HTTP 404");
    expect(host.kept()).toBeUndefined();
  });

  it("a server that never answers: the fetch times out", async () => {
    const srv = await serve("");
    srv.hang = true;
    const host = new Host();
    run(host.options(srv.url, { timeoutMs: 200, intervalMs: 60_000 }));
    expect(await waitFor("the timeout", () => host.failureMatching(/timed out/))).toBe("fetch failed: timed out after 0.2 s");
  });

  it("a server that sends a byte now and then: the whole fetch is bounded, not each read (fetchNow, without start)", async () => {
    const drip = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "application/json" });
      const t = setInterval(() => res.write(" "), 20);
      res.on("close", () => clearInterval(t));
    });
    await new Promise<void>((r) => drip.listen(0, "127.0.0.1", () => r()));
    try {
      const host = new Host();
      const remote = new RemotePolicy(host.options(`http://127.0.0.1:${(drip.address() as AddressInfo).port}/b.json`, { timeoutMs: 300 }));
      await remote.fetchNow();
      expect(host.failures).toEqual(["fetch failed: timed out after 0.3 s"]);
      expect(remote.status()).toMatchObject({ fetches: 1, failures: 1, last_ok_ts: null });
    } finally {
      drip.closeAllConnections();
      await new Promise<void>((r) => drip.close(() => r()));
    }
  });

  it("verifies the server's certificate: without the test CA, the fetch fails", async () => {
    const srv = await serve(bundleText(bundleOf("1")));
    const host = new Host();
    run(host.options(srv.url, { caFile: undefined }));
    expect(await waitFor("the certificate refused", () => host.failureMatching(/fetch failed/))).toMatch(/certificate/);
    expect(host.applied).toEqual([]);
  });

  it("refuses a body over the size cap without reading it all", async () => {
    const host = new Host();
    const big = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      // Endless: only the fetcher's cap ends it.
      const pump = () => {
        while (res.write(chunk));
      };
      res.on("drain", pump);
      pump();
    });
    await new Promise<void>((r) => big.listen(0, "127.0.0.1", () => r()));
    try {
      run(host.options(`http://127.0.0.1:${(big.address() as AddressInfo).port}/b.json`, { intervalMs: 60_000 }));
      expect(await waitFor("the size cap", () => host.failureMatching(/bytes a bundle may have/))).toBe("fetch failed: over the 16777216 bytes a bundle may have");
    } finally {
      big.closeAllConnections();
      await new Promise<void>((r) => big.close(() => r()));
    }
  });
});

describe("RemotePolicy's URL", () => {
  const opts = (url: string): RemotePolicyOptions => ({ url, publicKeyPem: pub, intervalMs: 1000, stateDir: root, currentVersion: () => "", onApply: () => {}, onFailure: () => {} });
  it("https anywhere; plain http only to loopback", () => {
    expect(() => new RemotePolicy(opts("https://policy.example/b.json"))).not.toThrow();
    for (const u of ["http://127.0.0.1:8080/b.json", "http://127.1.2.3/b.json", "http://[::1]:8080/b.json", "http://localhost/b.json"]) expect(() => new RemotePolicy(opts(u)), u).not.toThrow();
    for (const u of ["http://policy.example/b.json", "http://10.0.0.1/b.json", "http://[::ffff:7f00:1]/b.json", "http://127.0.0.1.example/b.json"]) expect(() => new RemotePolicy(opts(u)), u).toThrow(/plain http only to a loopback host/);
    expect(() => new RemotePolicy(opts("ftp://policy.example/b.json"))).toThrow(/must be https/);
    expect(() => new RemotePolicy(opts("https://user:pw@policy.example/b.json"))).toThrow(/no user or password/);
    expect(() => new RemotePolicy(opts("policy.example"))).toThrow(UserError);
  });
  it("a public key that is not Ed25519, or a CA file that is not there, is refused at once", () => {
    expect(() => new RemotePolicy({ ...opts("https://policy.example/"), publicKeyPem: "nope" })).toThrow(/public key/);
    expect(() => new RemotePolicy({ ...opts("https://policy.example/"), caFile: join(root, "no-ca.pem") })).toThrow(/cannot read the CA file/);
  });
});
