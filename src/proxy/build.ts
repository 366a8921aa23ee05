// The proxy as the config describes it: its databases (privacy for DLP, injection for tool
// results, signed, from the package), the machine's secrets by fingerprint, its settings.
import { existsSync } from "node:fs";
import type { Config } from "../config/index.js";
import type { Logger } from "../log/index.js";
import { loadPatternDir, PatternSet } from "../patterns/index.js";
import { Fingerprints } from "./fingerprints.js";
import { LlmProxy, type ProxyFinding } from "./server.js";

/**
 * The proxy's databases: the package's (each signed), or those of a signed policy bundle's
 * patterns/ folder where it has them (the bundle's signature covers their bytes).
 */
export function proxyDatabases(config: Config, log: Logger, bundlePatterns?: string): { privacy?: PatternSet; injection?: PatternSet } {
  const p = config.proxy;
  const wanted = [...(p.dlp ? ["privacy"] : []), ...(p.tool_results !== "off" ? ["injection"] : [])];
  const bundled = bundlePatterns !== undefined && existsSync(bundlePatterns) && wanted.length > 0 ? loadPatternDir(bundlePatterns, undefined, false, wanted) : undefined;
  for (const e of bundled?.errors ?? []) log.error("llm proxy: a pattern database of the policy bundle is refused; the package's stays", { error: e.message });
  // The package's are read (and their signatures checked) only for what the bundle does not give.
  const missing = wanted.filter((n) => !bundled?.dbs.some((x) => x.name === n));
  const dir = missing.length > 0 ? loadPatternDir(undefined, undefined, true, missing) : undefined;
  for (const e of dir?.errors ?? []) log.error("llm proxy: a pattern database is refused", { error: e.message });
  const db = (name: string) => {
    const d = bundled?.dbs.find((x) => x.name === name) ?? dir?.dbs.find((x) => x.name === name);
    return d ? new PatternSet([d]) : undefined;
  };
  const privacy = p.dlp ? db("privacy") : undefined;
  const injection = p.tool_results !== "off" ? db("injection") : undefined;
  return { ...(privacy ? { privacy } : {}), ...(injection ? { injection } : {}) };
}

export function buildProxy(config: Config, homes: readonly string[], log: Logger, onFinding: (f: ProxyFinding) => void, env: NodeJS.ProcessEnv = process.env, bundlePatterns?: string): LlmProxy {
  const p = config.proxy;
  const dbs = proxyDatabases(config, log, bundlePatterns);
  const fingerprints = Fingerprints.fromSpecs([...p.fingerprint_files, p.keys_file], [...new Set([...homes, "/root"])]);
  log.info("llm proxy: secrets known by fingerprint", { files: fingerprints.files.length, tokens: fingerprints.size });
  return new LlmProxy({ settings: p, ...dbs, fingerprints, onFinding, log, env });
}
