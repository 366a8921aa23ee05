export { LlmProxy, type ProxyFinding, type ProxyOptions, type ProxySettings, type ProxyStatus } from "./server.js";
export { formatKeys, hashKey, loadKeyRing, newVirtualKey, parseKeys, realKey, VIRTUAL_KEY_PREFIX, type VirtualKey } from "./keys.js";
export { Fingerprints, tokenRuns, MIN_TOKEN } from "./fingerprints.js";
export { ScanCache, scanBody, scanToolResults, type DlpFinding, type DlpResult } from "./dlp.js";
export { uidFromTcpTable } from "./peer.js";
export { refusal, SseUsage, toolResults, usageOf } from "./providers.js";
export { Limits } from "./limits.js";
export { buildProxy, proxyDatabases } from "./build.js";
export { findingEvent } from "./event.js";
