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
import { makeTestCa, type TestCa } from "../helpers/llm-upstream.js";
import { auditdUsable, runAsUser } from "../helpers/system.js";

const keys = generateKeyPairSync("ed25519");
const priv = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
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
    writeFileSync(pub, keys.publicKey.export({ type: "spki", format: "pem" }).toString(), { mode: 0o644 });
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
