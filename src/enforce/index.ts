export { Enforcer, mitigationFailed, type EnforcerStatus, type Mode } from "./enforcer.js";
export { killProcess, descendants, selfAndAncestors, type KillGuard, type KillTarget, type KillResult } from "./kill.js";
