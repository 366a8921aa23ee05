import type { Config } from "../config/index.js";
import { UserError } from "../errors/index.js";
import type { Logger } from "../log/index.js";
import type { ChannelRule } from "../events/index.js";
import { discordChannel, slackChannel, telegramChannel, webhookChannel, type Channel } from "./channels.js";
import { Dispatcher } from "./dispatcher.js";

/** The alert flags of `clawav run`. */
export interface AlertFlags {
  alertEnabled?: boolean;
  alertWebhookUrl?: string;
  alertMinSeverity?: string;
  alertDedupeWindow?: string;
  alertRateLimit?: string;
}

const ENV_KEYS: [string, (c: Config, v: string) => void][] = [
  ["CLAWAV_ALERT_WEBHOOK_URL", (c, v) => (c.alerts.webhook_url = v)],
  ["CLAWAV_SLACK_WEBHOOK_URL", (c, v) => (c.slack.webhook_url = v)],
  ["CLAWAV_SLACK_BACKUP_WEBHOOK_URL", (c, v) => (c.slack.backup_webhook_url = v)],
  ["CLAWAV_DISCORD_WEBHOOK_URL", (c, v) => (c.alerts.discord_webhook_url = v)],
  ["CLAWAV_TELEGRAM_BOT_TOKEN", (c, v) => (c.alerts.telegram_bot_token = v)],
  ["CLAWAV_TELEGRAM_CHAT_ID", (c, v) => (c.alerts.telegram_chat_id = v)],
];

/** Merges config.toml, then the environment (and .env), then flags: flags win. Mutates `config`. */
export function applyAlertSettings(config: Config, flags: AlertFlags, env: NodeJS.ProcessEnv): void {
  for (const [k, set] of ENV_KEYS) {
    const v = env[k];
    if (v !== undefined && v !== "") set(config, v);
  }
  if (flags.alertEnabled) config.alerts.enabled = true;
  if (flags.alertWebhookUrl !== undefined) config.alerts.webhook_url = flags.alertWebhookUrl;
  if (flags.alertMinSeverity !== undefined) {
    const s = flags.alertMinSeverity;
    if (s !== "info" && s !== "warning" && s !== "critical") throw new UserError(`--alert-min-severity: "${s}" is not info, warning or critical`);
    config.alerts.min_severity = s;
  }
  if (flags.alertDedupeWindow !== undefined) config.alerts.dedupe_window = positive("--alert-dedupe-window", flags.alertDedupeWindow);
  if (flags.alertRateLimit !== undefined) config.alerts.rate_limit = Math.floor(positive("--alert-rate-limit", flags.alertRateLimit));
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag}: "${v}" is not a positive number`);
  return n;
}

function httpUrl(key: string, v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UserError(`${key}: not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UserError(`${key}: only http and https URLs are supported`);
  return v;
}

/** The channels the config names. */
export function channelsFrom(config: Config): Channel[] {
  const a = config.alerts;
  const out: Channel[] = [];
  if (config.slack.webhook_url) out.push(slackChannel(httpUrl("slack.webhook_url", config.slack.webhook_url), config.slack.backup_webhook_url ? httpUrl("slack.backup_webhook_url", config.slack.backup_webhook_url) : undefined, config.slack.channel));
  if (a.discord_webhook_url) out.push(discordChannel(httpUrl("alerts.discord_webhook_url", a.discord_webhook_url)));
  if (a.telegram_bot_token || a.telegram_chat_id) {
    if (!a.telegram_bot_token || !a.telegram_chat_id) throw new UserError("alerts: Telegram needs both telegram_bot_token and telegram_chat_id");
    out.push(telegramChannel(httpUrl("alerts.telegram_api_base", a.telegram_api_base), a.telegram_bot_token, a.telegram_chat_id));
  }
  if (a.webhook_url) out.push(webhookChannel(httpUrl("alerts.webhook_url", a.webhook_url)));
  return out;
}

/** The dispatcher, only when alerting is enabled; an enabled one with no channel is an error. */
export function createDispatcher(config: Config, log: Logger): Dispatcher | undefined {
  if (!config.alerts.enabled) return undefined;
  const channels = channelsFrom(config);
  if (channels.length === 0) throw new UserError("alerts are enabled but no channel is configured: set --alert-webhook-url, CLAWAV_ALERT_WEBHOOK_URL, or [slack]/[alerts] URLs in config.toml");
  const a = config.alerts;
  return new Dispatcher({ channels, queueSize: a.queue_size, maxRetries: a.max_retries, timeoutMs: a.timeout_ms, log });
}

/**
 * What each configured channel wants pushed: its minimum severity (`slack.min_slack_level` for
 * Slack, else `alerts.min_severity`) and the rate limit `alerts.rate_limit`.
 */
export function channelRules(config: Config): ChannelRule[] {
  if (!config.alerts.enabled) return [];
  const a = config.alerts;
  return channelsFrom(config).map((ch) => ({
    name: ch.name,
    minSeverity: ch.name === "slack" ? (config.slack.min_slack_level ?? a.min_severity) : a.min_severity,
    ratePerMinute: a.rate_limit,
  }));
}
