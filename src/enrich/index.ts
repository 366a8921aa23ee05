export { ProcessTable, type ProcEntry, type ProcLookup, type AgentSpec, type ProcessTableOptions } from "./process-table.js";
export { createWatchedUsers, watchedEvent, type WatchedUsers } from "./watched.js";
export { createExeIdentity, identityByName, KNOWN_TOOLS, type ExeIdentity, type ExeIdentityFn, type IdentityOptions } from "./identity.js";
export { WatchedFiles, auditDev } from "./watched-files.js";
export { systemUserNames, parsePasswd, noUserNames, type UserNames } from "./users.js";
export { lineageEnricher, userNamesEnricher, identityEnricher } from "./enrichers.js";
export { HostNamesEnricher, etcHostsResolver, resolveHosts, resolveNothing, type ResolveHostFn } from "./hosts.js";
export { signalTargetEnricher } from "./signals.js";
export { AllowedNamesResolver, type RefreshOptions, type RefreshStatus } from "./resolver.js";
