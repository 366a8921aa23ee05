import { defaultConfig, loadConfigFile, type Config } from "../config/index.js";

/** The config a command runs with: the file given, else the built-in defaults. */
export function configFrom(file: string | undefined): Config {
  return file === undefined ? defaultConfig() : loadConfigFile(file);
}
