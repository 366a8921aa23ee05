export { Enforcer, mitigationFailed, type EnforcerStatus, type Mode } from "./enforcer.js";
export { killProcess, descendants, selfAndAncestors, type KillGuard, type KillTarget, type KillResult } from "./kill.js";
export { freeze, thaw, enforceOn, availableMethods, cgroupMounts, pidsOfUid, pauseContainer, QuarantineStore, type FreezeMethod, type PausedContainer, type Quarantined } from "./quarantine.js";
export { TrustScores, type TrustOptions } from "./trust.js";
export type { QuarantineDeps } from "./enforcer.js";
