export { BehaviorEngine, type Finding } from "./engine.js";
export { BEHAVIOR_RULES, type BehaviorRule, type Hit } from "./rules.js";
export { factsOf, destAllowed, toolName, isWrite, type Facts, type HostCheck } from "./facts.js";
export { shellSplit, shellCommands, shellTokens, urlHost, argHosts, hostMatches, uploadOf, baseName, unwrapCommand } from "./argv.js";
export { classifyPath, PATH_CLASSES, type PathClass } from "./paths.js";
export { interpreterCode } from "./code.js";
export { containerRunRisk, isEngineSocket } from "./container.js";
export { encrypts, makesExecutable, modeOf, ENCRYPTORS } from "./families.js";
