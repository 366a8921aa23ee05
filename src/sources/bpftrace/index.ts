export { DnsAnswersSource, type DnsAnswersOptions } from "./source.js";
export { SyscallsSource, type SyscallsSourceOptions } from "./syscalls-source.js";
export { syscallProgram, SyscallAssembler, STRLEN, MAX_ARGS, type SyscallRecord } from "./syscalls.js";
export { BpftraceRunner, ensureTracefs, type RunnerCounts } from "./runner.js";
export { gaiProgram, parseGaiLine, parseHeartbeat, HEARTBEAT_MS, decodeIpv4, decodeIpv6, LIBC_CANDIDATES, type GaiAnswer } from "./gai.js";
