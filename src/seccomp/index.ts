export { compile, actionValue, syscallNumber } from "./compile.js";
export { disasm, decode, encode, run, execute, seccompData, actionName, AUDIT_ARCH, RET, type Insn } from "./bpf.js";
export { loadWhitelist, parseWhitelist, WhitelistError, type Whitelist, type Entry, type Condition, type Action, type Arch } from "./whitelist.js";
export { launcherPath, hostArch, knownSyscalls, prepareSeccompLaunch, type SeccompLaunch } from "./launcher.js";
export { SYSCALL_NUMBERS } from "./syscall-numbers.js";
export { diffWhitelists, learn } from "./learn.js";
export { toOci } from "./oci.js";
export { generateKeys, keyId, signWhitelist, signatureProblem } from "./sign.js";
