export { IntegritySource, expandSpec, readSafe, type IntegrityDeps, type IntegritySpec } from "./source.js";
export { Baseline, sha256, type BaselineEntry } from "./baseline.js";
export { unifiedDiff } from "./diff.js";
