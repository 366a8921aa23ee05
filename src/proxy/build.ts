// The proxy as the config describes it: its databases (privacy for DLP, injection for tool
// results, signed, from the package), the machine's secrets by fingerprint, its settings.
import type { Config } from "../config/index.js";
import type { Logger } from "../log/index.js";
import { loadPatternDir, PatternSet } from "../patterns/index.js";
import { Fingerprints } from "./fingerprints.js";
import { LlmProxy, type ProxyFinding } from "./server.js";

export function buildProxy(config: Config, homes: readonly string[], log: Logger, onFinding: (f: ProxyFinding) => void, env: NodeJS.ProcessEnv = process.env): LlmProxy {
  const p = config.proxy;
  const dir = loadPatternDir(undefined, undefined, true, ["privacy", "injection"]);
  for (const e of dir.errors) log.error("llm proxy: a pattern database is refused", { error: e.message });
  const db = (name: string) => {
    const d = dir.dbs.find((x) => x.name === name);
    return d ? new PatternSet([d]) : undefined;
  };
  const fingerprints = Fingerprints.fromSpecs([...p.fingerprint_files, p.keys_file], [...new Set([...homes, "/root"])]);
  log.info("llm proxy: secrets known by fingerprint", { files: fingerprints.files.length, tokens: fingerprints.size });
  return new LlmProxy({ settings: p, privacy: p.dlp ? db("privacy") : undefined, injection: p.tool_results !== "off" ? db("injection") : undefined, fingerprints, onFinding, log, env });
}
