import { join } from "node:path";
import type { Config } from "../config/index.js";
import type { ChainOptions } from "./writer.js";

/** The chain's files, by default in the state dir: audit.chain, audit.chain.checkpoints, chain.key. */
export function chainOptionsFor(config: Config): ChainOptions {
  const dir = config.general.state_dir;
  const path = config.chain.path ?? join(dir, "audit.chain");
  return {
    path,
    keyFile: config.chain.key_file ?? join(dir, "chain.key"),
    checkpointFile: config.chain.checkpoint_file ?? `${path}.checkpoints`,
    fsync: config.chain.fsync,
    fsyncIntervalMs: config.chain.fsync_interval_ms,
    checkpointEvery: config.chain.checkpoint_every,
  };
}
