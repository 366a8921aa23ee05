import { existsSync } from "node:fs";
import { defaultConfig, loadConfigFile, type Config } from "../config/index.js";

/** Where an installed clawav keeps its configuration. */
export const DEFAULT_CONFIG_PATH = "/etc/clawav/config.toml";

/** The config a command runs with: the file given, else /etc/clawav/config.toml when it exists, else the built-in defaults. */
export function configFrom(file: string | undefined): Config {
  if (file !== undefined) return loadConfigFile(file);
  return existsSync(DEFAULT_CONFIG_PATH) ? loadConfigFile(DEFAULT_CONFIG_PATH) : defaultConfig();
}
