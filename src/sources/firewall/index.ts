export { FirewallSource, type FirewallSourceOptions } from "./source.js";
export { findFirewallTools, hasFirewallTool, takeSnapshot, normalizeNft, normalizeIptablesSave, type FirewallTools, type Snapshot } from "./snapshot.js";
export { lineDiff } from "./diff.js";
