export { Dispatcher, type DispatcherOptions } from "./dispatcher.js";
export { slackChannel, discordChannel, telegramChannel, webhookChannel, slackBody, type Channel } from "./channels.js";
export { webhookPayload, headline, type OutMessage } from "./message.js";
export { applyAlertSettings, channelsFrom, channelRules, createDispatcher, type AlertFlags } from "./setup.js";
export { postJson, retryAfter, type SendResult } from "./http.js";
