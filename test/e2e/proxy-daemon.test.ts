// The LLM proxy inside the daemon ([proxy] enabled = true): its findings are alerts of the
// pipeline (in the chain), its counters in /api/status; the agent reaching the upstream directly
// is itself a detection.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { CHROMIUM, launchChromium, signIn } from "../helpers/browser.js";
import { LlmUpstream, makeTestCa, REAL_ANTHROPIC } from "../helpers/llm-upstream.js";
import { auditdUsable, runAsUser, runCli, TEST_USER, userIds, waitFor } from "../helpers/system.js";

describe.skipIf(!auditdUsable())("the LLM proxy in the daemon", () => {
  let up: LlmUpstream;
  let d: DaemonUnderTest;
  let vk: string;
  let port: number;

  beforeAll(async () => {
    const ca = makeTestCa();
    up = new LlmUpstream(ca);
    await up.start();
    const dir = mkdtempSync(join(tmpdir(), "clawav-proxyd-"));
    const keys = join(dir, "keys.toml");
    const add = await runCli(["proxy", "keys", "add", "--keys-file", keys, "--id", "agent", "--upstream", "anthropic", "--user", TEST_USER, "--real-key-stdin"], { input: REAL_ANTHROPIC });
    expect(add.code).toBe(0);
    vk = add.stdout.trim();
    d = DaemonUnderTest.withTempState([], `[proxy]\nenabled = true\nport = 0\nkeys_file = "${keys}"\nca_file = "${ca.caFile}"\nfingerprint_files = []\nupstreams = [{ name = "anthropic", api = "anthropic", url = "${up.url}" }]\n`);
    await d.start();
    port = (d.logs.find((l) => l.msg === "llm proxy listening") as { port: number }).port;
  }, 60_000);

  afterAll(async () => {
    await d?.stop();
    await up?.stop();
  });

  it("a blocked prompt is a critical alert of the daemon, with the agent's uid, in the chain; the counters are in /api/status", async () => {
    const r = await runAsUser("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", `x-api-key: ${vk}`, "-H", "content-type: application/json", "-d", JSON.stringify({ model: "claude-test", max_tokens: 8, messages: [{ role: "user", content: "token ghp_aB3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7c" }] }), `http://127.0.0.1:${port}/v1/messages`]);
    expect(r.stdout).toBe("403");
    const ok = await runAsUser("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", `x-api-key: ${vk}`, "-H", "content-type: application/json", "-d", JSON.stringify({ model: "claude-test", max_tokens: 8, messages: [{ role: "user", content: "hello" }] }), `http://127.0.0.1:${port}/v1/messages`]);
    expect(ok.stdout).toBe("200");
    const a = await d.waitAlert("the DLP alert", (x) => x.rule === "proxy/dlp-priv-github-token");
    expect(a).toMatchObject({ severity: "critical", engine: "proxy", category: "DATA_EXFIL" });
    expect(a.event.process?.uid).toBe(userIds(TEST_USER).uid);
    expect(JSON.stringify(a)).not.toContain("ghp_aB3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7c");
    await waitFor("the alert in the chain", () => (readFileSync(join(d.stateDir, "audit.chain"), "utf8").includes('"rule":"proxy/dlp-priv-github-token"') ? true : undefined));
    const st = await d.api<{ proxy: { port: number; requests: number; blocked: number; by_key: Record<string, { requests: number; blocked: number; tokens_today: number; uid: number }> } }>("/api/status");
    expect(st.proxy.port).toBe(port);
    expect(st.proxy.blocked).toBe(1);
    expect(st.proxy.by_key.agent).toMatchObject({ requests: 2, blocked: 1, tokens_today: 18, uid: userIds(TEST_USER).uid });
  });

  it.skipIf(!CHROMIUM)("the dashboard's Sources tab shows the proxy's counters per key, in Chromium", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const base = `http://127.0.0.1:${(d.logs.find((l) => l.msg === "api listening") as { port: number }).port}`;
      await signIn(page, base, /OCAV-[0-9a-f]{64}/.exec(d.stderr)![0]);
      await page.click("button[data-tab=Sources]");
      const row = await page.waitForSelector("#proxy tbody tr");
      const cells = await row.$$eval("td", (tds: { textContent: string | null }[]) => tds.map((t) => t.textContent));
      expect(cells).toEqual(["agent", "anthropic", String(userIds(TEST_USER).uid), "2", "1", "18", "1", "0", "0", "0"]);
      expect(await page.textContent("#proxy-summary")).toMatch(/2 requests, 0 refused, 1 blocked/);
    } finally {
      await browser.close();
    }
  });

  it("the agent calling the upstream directly, around the proxy, is a critical detection", async () => {
    await runAsUser("curl", ["-sk", "-o", "/dev/null", "-H", "x-api-key: stolen", "-d", "{}", `${up.url}/v1/messages`]);
    const a = await d.waitAlert("the bypass alert", (x) => x.rule === "evasion.llm-proxy-bypass");
    expect(a.severity).toBe("critical");
    expect(a.summary).toContain(`127.0.0.1:${up.port}`);
  });

  it("the daemon's config check refuses a proxy bound off loopback, naming the key", () => {
    const cfg = join(mkdtempSync(join(tmpdir(), "clawav-proxyd-")), "bad.toml");
    writeFileSync(cfg, `[proxy]\nenabled = true\nbind = "0.0.0.0"\n`);
    return runCli(["config", "check", cfg]).then((r) => {
      expect(r.code).not.toBe(0);
      expect(r.stderr + r.stdout).toMatch(/bad\.toml:3: proxy\.bind: loopback only/);
    });
  });
});
