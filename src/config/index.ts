export { configSchema, SECRET_KEYS, type Config } from "./schema.js";
export { defaultConfig, parseConfig, loadConfigFile, redactConfig, redactUrl, ConfigError, formatIssue, type ConfigIssue } from "./load.js";
export { locateKey } from "./locate.js";
export { readDotEnv, withDotEnv } from "./env.js";
export { parseDurationMs } from "./duration.js";
export { configTemplate, type TemplateChoices } from "./template.js";
