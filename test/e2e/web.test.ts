// The web dashboard in real Chromium against the live daemon: a wrong key is refused and counted,
// the right one gives an httpOnly, SameSite=Strict session and pages under a strict CSP; an agent's
// action appears in the alert list live (server-sent events, no reload); a POST without the CSRF
// token is refused; a quarantined agent is released from the Agents tab.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { CHROMIUM, launchChromium, screenshot, signIn } from "../helpers/browser.js";
import { auditdUsable, TEST_USER, userIds } from "../helpers/system.js";

describe.skipIf(!auditdUsable() || !CHROMIUM)("the web dashboard in Chromium (live daemon)", () => {
  let d: DaemonUnderTest;
  let browser: Browser;
  let page: Page;
  let base = "";
  let key = "";
  beforeAll(async () => {
    // Enforce mode, and a threshold a single critical alert crosses: the agent will need releasing.
    d = DaemonUnderTest.withTempState(["--mode", "enforce"], `[trust]\nthreshold = 90\npenalty_critical = 25\n`);
    await d.start();
    key = /OCAV-[0-9a-f]{64}/.exec(d.stderr)?.[0] ?? "";
    base = `http://127.0.0.1:${(d.logs.find((l) => l.msg === "api listening") as { port: number }).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (d) expect((await d.stop()).code).toBe(0);
  });

  it("a wrong key is refused and counted; the right one signs in under a strict CSP with a locked-down cookie", async () => {
    await page.goto(`${base}/ui`);
    await page.fill("#key", `OCAV-${"0".repeat(64)}`);
    const [bad] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/ui/login")), page.click("button[type=submit]")]);
    expect(bad.status()).toBe(403);
    expect(await page.textContent("p.error")).toBe("wrong key");
    const st = await d.api<{ api: { web: { login_failures: number } } }>("/api/status");
    expect(st.api.web.login_failures).toBe(1);
    await signIn(page, base, key);
    const cookie = (await page.context().cookies()).find((c) => c.name === "clawav_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    const res = await page.request.get(`${base}/ui`);
    expect(res.headers()["content-security-policy"]).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    const asset = (await page.getAttribute("script[type=module]", "src"))!;
    expect((await page.request.get(`${base}${asset}`)).headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
    await page.waitForSelector("#live.on");
    await screenshot(page, "web-signed-in");
    // A figure for the README (not asserted: the machines are shared): navigation start to the alert table drawn.
    const t0 = Date.now();
    await page.goto(`${base}/ui`);
    await page.waitForSelector("#alerts");
    console.log(`web dashboard first render on loopback: ${Date.now() - t0} ms (${(await page.$$("#alerts tbody tr")).length} alerts)`);
  });

  it("an agent's action appears in the list live, with its detail", async () => {
    const u = userIds(TEST_USER);
    const m = `web-${Date.now()}`;
    // Not awaited: the agent is frozen by this alert (trust threshold 90) until the next test releases it.
    spawn("bash", ["-c", `echo ZWNobyBoaQo= | base64 -d | sh # ${m}`], { uid: u.uid, gid: u.gid, stdio: "ignore" });
    // Locators, not element handles: the list is drawn anew as alerts arrive.
    const row = page.locator("#alerts tbody tr.sev-critical", { hasText: "code.decode-exec" }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await page.waitForSelector("#detail");
    expect(await page.textContent("#detail")).toContain(m);
    await screenshot(page, "web-live-alert");
  });

  it("a POST without the session's CSRF token is refused; the Agents tab releases the quarantined agent", async () => {
    const forged = await page.request.post(`${base}/api/agents/${TEST_USER}/release`, { data: {} });
    expect(forged.status()).toBe(403);
    await page.click("button[data-tab=Agents]");
    await page.locator(`#agents tr[data-agent=${TEST_USER}]`, { hasText: "quarantined" }).waitFor({ timeout: 20_000 });
    await screenshot(page, "web-quarantined");
    await page.locator(`#agents tr[data-agent=${TEST_USER}] button.release`).click();
    await page.waitForSelector(`#agents tr[data-agent=${TEST_USER}]:has-text('running')`, { timeout: 10_000 });
    const st = await d.api<{ enforce: { quarantined: unknown[] } }>("/api/status");
    expect(st.enforce.quarantined).toEqual([]);
  });

  it("the Chain tab verifies the audit chain on disk: every MAC, link and checkpoint", async () => {
    await page.click("button[data-tab=Chain]");
    await page.click("#verify");
    const text = await (await page.waitForSelector("#verify-result.ok")).textContent();
    expect(text).toMatch(/^OK: \d+ entries, every MAC and link, \d+ checkpoints; head [0-9a-f]{64}$/);
    await screenshot(page, "web-chain-verified");
  });

  it("the Rules tab lists what is in force, with ATT&CK ids, and filters", async () => {
    await page.click("button[data-tab=Rules]");
    await page.waitForSelector("#rules tbody tr");
    await page.fill("#rule-filter", "inline-code");
    const row = page.locator("#rules tbody tr", { hasText: "exec.inline-code" }).first();
    expect(await row.textContent()).toContain("behavior");
    const api = await d.api<{ rules: { name: string; engine: string; mitre: string[] }[] }>("/api/rules");
    expect(new Set(api.rules.map((r) => r.engine))).toEqual(new Set(["behavior", "policy"]));
    expect(api.rules.every((r) => r.mitre.length > 0)).toBe(true);
    const agents = await d.api<{ agents: { name: string; trust: number | null }[] }>("/api/agents");
    expect(agents.agents.map((a) => a.name)).toContain("clawavtest");
  });

  it("the Posture tab says no scan ran yet, runs one on a click, and lists each check failures first", async () => {
    await page.click("button[data-tab=Posture]");
    await page.waitForSelector("#view p.error");
    expect(await page.locator("#view p.error").textContent()).toMatch(/POST \/api\/scan runs one now/);
    await page.click("#scan-now");
    await page.waitForSelector("#posture tbody tr", { timeout: 120_000 });
    const api = await d.api<{ counts: { fail: number; pass: number; unknown: number }; results: { id: string; status: string }[] }>("/api/scan");
    expect(await page.locator("#posture tbody tr").count()).toBe(api.results.length);
    expect(await page.locator("#scan-summary").textContent()).toContain(`${api.counts.fail} fail, ${api.counts.pass} pass, ${api.counts.unknown} unknown`);
    const statuses = await page.locator("#posture tbody tr td:first-child").allTextContents();
    expect(statuses).toEqual([...statuses].sort((a, b) => ["fail", "unknown", "pass"].indexOf(a) - ["fail", "unknown", "pass"].indexOf(b)));
    expect(await page.locator("#posture tr[data-check='audit.auditd-running'] td:first-child").textContent()).toBe("pass");
    await screenshot(page, "web-posture");
  }, 150_000);
});
