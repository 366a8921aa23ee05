export { AuditChain, type ChainOptions, type OpenReport } from "./writer.js";
export { verifyChain, type VerifyResult } from "./verify.js";
export { loadOrCreateKey, readKey } from "./key.js";
export { formatLine, checkLine, GENESIS_PREV, type ChainEntry, type EntryBody, type Checkpoint } from "./format.js";
export { chainOptionsFor } from "./paths.js";
