export { ProcessTable, type ProcEntry, type ProcLookup, type AgentSpec, type ProcessTableOptions } from "./process-table.js";
export { createWatchedUsers, type WatchedUsers } from "./watched.js";
export { createExeIdentity, identityByName, KNOWN_TOOLS, type ExeIdentity, type ExeIdentityFn, type IdentityOptions } from "./identity.js";
export { WatchedFiles, auditDev } from "./watched-files.js";
export { systemUserNames, parsePasswd, noUserNames, type UserNames } from "./users.js";
