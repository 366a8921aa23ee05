// Remote policy on the real daemon: a signed bundle served over HTTPS from 127.0.0.1 (a CA made
// for the test) is applied like a SIGHUP reload, its rules judge real commands of an agent user
// under the real auditd, and its version is on every alert; a rollback, a bad signature and a
// server that is down are alerts and leave the last good bundle in force, across a restart too.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_FORMAT, bundleText, sha256Hex, signBundle } from "../../src/bundle/index.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { LlmUpstream, makeTestCa, REAL_ANTHROPIC, type TestCa } from "../helpers/llm-upstream.js";
import { auditdUsable, runAsUser, runCli, TEST_USER } from "../helpers/system.js";

const signer = generateKeyPairSync("ed25519");
const priv = signer.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const other = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();

/** A bundle whose one policy warns on a command holding `word`. */
function bundle(version: string, word: string, key = priv): string {
  const content = `rules:\n  - name: "remote-${word}"\n    match:\n      command_contains: ["${word}"]\n    action: warning\n`;
  return bundleText(signBundle({ format: BUNDLE_FORMAT, version, created: new Date().toISOString(), files: [{ path: "policies/remote.yaml", sha256: sha256Hex(content), content }] }, key));
}

describe.skipIf(!auditdUsable())("remote policy (--policy-url) on the daemon", () => {
  let ca: TestCa;
  let server: Server;
  let port = 0;
  let body = "";
  let config = "";
  let d: DaemonUnderTest;

  const listen = async (p = 0) => {
    server = createServer({ cert: ca.cert, key: ca.key }, (req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((r) => server.listen(p, "127.0.0.1", () => r()));
    port = (server.address() as AddressInfo).port;
  };
  const close = () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));

  beforeAll(async () => {
    ca = makeTestCa();
    const dir = mkdtempSync(join(tmpdir(), "clawav-remote-e2e-"));
    const pub = join(dir, "bundle.pub");
    writeFileSync(pub, signer.publicKey.export({ type: "spki", format: "pem" }).toString(), { mode: 0o644 });
    body = bundle("2026.12.1", "remote-marker-one");
    await listen();
    config = `[general]\nmin_alert_level = "info"\n\n[policy]\npublic_key_file = "${pub}"\nca_file = "${ca.caFile}"\nrefresh_interval_seconds = 1\n`;
    d = DaemonUnderTest.withTempState(["--policy-url", `https://127.0.0.1:${port}/bundle.json`], config);
    await d.start();
  }, 60_000);

  afterAll(async () => {
    await d?.stop();
    await close().catch(() => undefined);
  });

  it("applies the served bundle: its rule judges a real command, and its version is on the alert", async () => {
    const applied = await d.waitAlert("the bundle applied", (a) => a.rule === "policy-remote-applied");
    expect(applied.summary).toMatch(/policy bundle 2026\.12\.1 from https:\/\/127\.0\.0\.1:\d+\/bundle\.json is in force/);
    await runAsUser("/bin/echo", ["remote-marker-one"]);
    const a = await d.waitAlert("the bundle's rule", (x) => x.rule === "remote-remote-marker-one");
    expect(a.policy_version).toBe("2026.12.1");
    expect(a.engine).toBe("policy");
    const st = await d.api<{ policy_version: string; remote_policy: { version: string; applied: number; failures: number } }>("/api/status");
    expect(st.policy_version).toBe("2026.12.1");
    expect(st.remote_policy).toMatchObject({ version: "2026.12.1", applied: 1 });
  });

  it("a newer bundle replaces it on the next fetch", async () => {
    body = bundle("2026.12.2", "remote-marker-two");
    await d.waitAlert("the second bundle", (a) => a.rule === "policy-remote-applied" && a.summary.includes("2026.12.2"));
    await runAsUser("/bin/echo", ["remote-marker-two", "remote-marker-one"]);
    const a = await d.waitAlert("the new rule", (x) => x.rule === "remote-remote-marker-two");
    expect(a.policy_version).toBe("2026.12.2");
    // The old bundle's rule is gone with it.
    expect(d.alerts.some((x) => x.rule === "remote-remote-marker-one" && x.event.process?.argv.includes("remote-marker-two"))).toBe(false);
  });

  it("refuses a rollback and a bad signature (critical), and keeps the last good", async () => {
    body = bundle("2026.12.1", "remote-marker-one");
    const rb = await d.waitAlert("the rollback refused", (a) => a.rule === "policy-remote-refused" && /rollback refused: offered 2026\.12\.1, running 2026\.12\.2/.test(a.summary));
    expect(rb.severity).toBe("critical");
    body = bundle("2026.12.9", "remote-marker-forged", other);
    const bad = await d.waitAlert("the forged bundle refused", (a) => a.rule === "policy-remote-refused" && /signature/.test(a.summary));
    expect(bad.severity).toBe("critical");
    await runAsUser("/bin/echo", ["remote-marker-two", "after-refusals", "remote-marker-forged"]);
    const a = await d.waitAlert("the last good rule", (x) => x.rule === "remote-remote-marker-two" && x.event.process!.argv.includes("after-refusals"));
    expect(a.policy_version).toBe("2026.12.2");
    expect(d.alerts.some((x) => x.rule === "remote-remote-marker-forged")).toBe(false);
  });

  it("a server that is down is a warning; after a restart with it still down, the kept bundle is in force from the first event", async () => {
    await close();
    const down = await d.waitAlert("the fetch failure", (a) => a.rule === "policy-remote-fetch-failed");
    expect(down.severity).toBe("warning");
    expect(down.summary).toMatch(/ECONNREFUSED/);
    expect((await d.stop()).code).toBe(0);
    await d.start();
    await runAsUser("/bin/echo", ["remote-marker-two", "after-restart"]);
    const a = await d.waitAlert("the kept bundle's rule", (x) => x.rule === "remote-remote-marker-two" && x.event.process!.argv.includes("after-restart"));
    expect(a.policy_version).toBe("2026.12.2");
    await listen(port);
  });
});

describe.skipIf(!auditdUsable())("a remote bundle's privacy database in the daemon's LLM proxy", () => {
  it("blocks what the bundle's database names, once the bundle is in force", async () => {
    const ca = makeTestCa();
    const up = new LlmUpstream(ca);
    await up.start();
    const dir = mkdtempSync(join(tmpdir(), "clawav-remote-proxy-"));
    const keys = join(dir, "keys.toml");
    const add = await runCli(["proxy", "keys", "add", "--keys-file", keys, "--id", "agent", "--upstream", "anthropic", "--user", TEST_USER, "--real-key-stdin"], { input: REAL_ANTHROPIC });
    expect(add.code).toBe(0);
    const vk = add.stdout.trim();
    const pub = join(dir, "bundle.pub");
    writeFileSync(pub, signer.publicKey.export({ type: "spki", format: "pem" }).toString(), { mode: 0o644 });
    // The site's own secret shape: a project code name the package's database knows nothing of.
    const privacy = JSON.stringify({ name: "privacy", version: "9.0.0", updated: "2026-12-06", description: "site", entries: [{ id: "priv.site-codename", description: "the codename of the site's secret project", severity: "critical", action: "block", category: "DATA_EXFIL", mitre: ["T1567"], regex: "BLUEHERON-[0-9]{4}", needles: ["blueheron-"] }] });
    const policy = "rules: []\n";
    let body = "";
    const server = createServer({ cert: ca.cert, key: ca.key }, (req, res) => {
      req.resume();
      if (body === "") res.writeHead(503).end();
      else res.writeHead(200, { "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/bundle.json`;
    const d = DaemonUnderTest.withTempState(["--policy-url", url], `[general]\nmin_alert_level = "info"\n\n[policy]\npublic_key_file = "${pub}"\nca_file = "${ca.caFile}"\nrefresh_interval_seconds = 1\n\n[proxy]\nenabled = true\nport = 0\nkeys_file = "${keys}"\nca_file = "${ca.caFile}"\nfingerprint_files = []\nupstreams = [{ name = "anthropic", api = "anthropic", url = "${up.url}" }]\n`);
    try {
      await d.start();
      const port = (d.logs.find((l) => l.msg === "llm proxy listening") as { port: number }).port;
      const send = () => runAsUser("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", `x-api-key: ${vk}`, "-H", "content-type: application/json", "-d", JSON.stringify({ model: "claude-test", max_tokens: 8, messages: [{ role: "user", content: "status of BLUEHERON-2041?" }] }), `http://127.0.0.1:${port}/v1/messages`]);
      expect((await send()).stdout).toBe("200");
      body = bundleText(signBundle({ format: BUNDLE_FORMAT, version: "3", created: new Date().toISOString(), files: [{ path: "patterns/privacy.json", sha256: sha256Hex(privacy), content: privacy }, { path: "policies/empty.yaml", sha256: sha256Hex(policy), content: policy }] }, priv));
      await d.waitAlert("the bundle applied", (a) => a.rule === "policy-remote-applied" && a.summary.includes("bundle 3 "));
      expect((await send()).stdout).toBe("403");
      const a = await d.waitAlert("the DLP alert", (x) => x.rule === "proxy/dlp-priv-site-codename");
      expect(a.policy_version).toBe("3");
      expect(JSON.stringify(a)).not.toContain("BLUEHERON-2041");
    } finally {
      await d.stop();
      await up.stop();
      server.closeAllConnections();
      server.close();
    }
  }, 90_000);
});
