export { scanContext, persistedSysctls, type ScanContext, type ScanUser } from "./context.js";
export { CHECKS, runScan, newlyFailing, type ScanOptions } from "./run.js";
export type { Check, CheckResult, CheckStatus, ScanReport } from "./check.js";
