export { ApprovalRegistry, type SudoRequest, type SudoRequestInput, type RequestState } from "./clawsudo/approvals.js";
export { clawsudoRoutes, type ClawsudoHost } from "./clawsudo/routes.js";
export { commandHash, displayCommand, resolveExecutable, untrustedReason, SECURE_PATH, type SudoCommand } from "./clawsudo/command.js";
export { decide, loadClawsudoPolicy, clawsudoPolicyDirs, protectedPaths, type Verdict, type ClawsudoPolicy } from "./clawsudo/decide.js";
export { createGateEngine } from "./engine.js";
export { preloadState, isStaticElf, GUARD_LIBRARY, type PreloadState } from "./preload-check.js";
export { callDaemon, daemonEndpoint, describeFailure, replyError, type DaemonEndpoint } from "./daemon-client.js";
export type { GateInfo } from "../events/index.js";
