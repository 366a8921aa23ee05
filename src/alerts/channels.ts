import type { Severity } from "../events/index.js";
import { redactUrl } from "../config/index.js";
import { commandOf, headline, webhookPayload, type OutMessage } from "./message.js";
import { postJson, type SendResult } from "./http.js";

/** A place alerts go: it formats and sends one message; the dispatcher does queueing and retries. */
export interface Channel {
  readonly name: string;
  /** Where it sends, with secrets removed, for logs and status. */
  readonly target: string;
  send(m: OutMessage, timeoutMs: number): Promise<SendResult>;
}

const COLOR: Record<Severity, number> = { info: 0x3b82f6, warning: 0xf59e0b, critical: 0xdc2626 };

/** A generic JSON webhook; the payload is documented in the README. */
export function webhookChannel(url: string): Channel {
  return { name: "webhook", target: redactUrl(url), send: (m, t) => postJson(url, webhookPayload(m), t) };
}

/** Slack incoming webhook with a backup: a retryable failure of the primary goes to the backup at once. */
export function slackChannel(primary: string, backup?: string, channel?: string): Channel & { failovers: number } {
  const ch = {
    name: "slack",
    target: redactUrl(primary) + (backup ? ` (backup ${redactUrl(backup)})` : ""),
    failovers: 0,
    async send(m: OutMessage, t: number): Promise<SendResult> {
      const body = slackBody(m, channel);
      const okBody = (_s: number, text: string) => (text.trim() === "ok" || text.trim() === "" ? undefined : `Slack answered ${text.slice(0, 80)}`);
      const first = await postJson(primary, body, t, okBody);
      if (first.ok || !first.retryable || !backup) return first;
      ch.failovers++;
      const second = await postJson(backup, body, t, okBody);
      return second.ok ? second : { ...second, error: `primary: ${first.error}; backup: ${second.error}` };
    },
  };
  return ch;
}

export function slackBody(m: OutMessage, channel?: string): Record<string, unknown> {
  const text = headline(m);
  const blocks: unknown[] = [{ type: "header", text: { type: "plain_text", text: text.slice(0, 150) } }];
  if (m.kind === "alert") {
    const a = m.alert;
    const p = a.event.process;
    blocks.push({ type: "section", text: { type: "mrkdwn", text: mrkdwn(a.summary) } });
    blocks.push({
      type: "section",
      fields: [
        ["Severity", a.severity],
        ["Category", a.category],
        ["Rule", a.rule],
        ["User", p ? `${p.user ?? p.uid}` : "-"],
        ["Host", a.node_id],
        ["Event", a.event_id],
      ].map(([k, v]) => ({ type: "mrkdwn", text: `*${k}*\n${mrkdwn(String(v))}` })),
    });
    if (p) blocks.push({ type: "section", text: { type: "mrkdwn", text: `*Command*\n\`\`\`${commandOf(a).replace(/`/g, "'")}\`\`\`` } });
  } else blocks.push({ type: "section", text: { type: "mrkdwn", text: mrkdwn(JSON.stringify(webhookPayload(m))) } });
  return { text, blocks, ...(channel ? { channel } : {}) };
}

/** Discord webhook: one embed. Discord answers 204. */
export function discordChannel(url: string): Channel {
  return {
    name: "discord",
    target: redactUrl(url),
    send(m, t) {
      const embed: Record<string, unknown> = { title: headline(m).slice(0, 256), timestamp: new Date(m.kind === "alert" ? m.alert.ts : m.ts).toISOString() };
      if (m.kind === "alert") {
        const a = m.alert;
        embed.description = a.summary.slice(0, 4000);
        embed.color = COLOR[a.severity];
        embed.fields = [
          { name: "Severity", value: a.severity, inline: true },
          { name: "Category", value: a.category, inline: true },
          { name: "Rule", value: a.rule, inline: true },
          { name: "Command", value: "```" + commandOf(a).replace(/`/g, "'").slice(0, 1000) + "```" },
          { name: "Event", value: a.event_id, inline: true },
          { name: "Host", value: a.node_id, inline: true },
        ];
      } else embed.description = "```" + JSON.stringify(webhookPayload(m)).slice(0, 4000) + "```";
      return postJson(url, { embeds: [embed], allowed_mentions: { parse: [] } }, t);
    },
  };
}

/** Telegram Bot API sendMessage; the bot token is a secret and never leaves this function. */
export function telegramChannel(apiBase: string, token: string, chatId: string): Channel {
  const url = `${apiBase.replace(/\/+$/, "")}/bot${token}/sendMessage`;
  return {
    name: "telegram",
    target: `${redactUrl(apiBase)} chat ${chatId}`,
    send(m, t) {
      let text = `<b>${html(headline(m))}</b>`;
      if (m.kind === "alert") text += `\n${html(m.alert.summary)}\n<code>${html(commandOf(m.alert))}</code>\nevent ${m.alert.event_id}`;
      else text += `\n<code>${html(JSON.stringify(webhookPayload(m)))}</code>`;
      return postJson(url, { chat_id: chatId, text: text.slice(0, 4096), parse_mode: "HTML", disable_web_page_preview: true }, t, (_s, body) => {
        try {
          return (JSON.parse(body) as { ok?: boolean }).ok === true ? undefined : `Telegram answered ${body.slice(0, 80)}`;
        } catch {
          return "Telegram answered something that is not JSON";
        }
      });
    },
  };
}

function mrkdwn(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function html(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
