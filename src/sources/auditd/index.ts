export { createAuditAssembler, type AuditAssembler, type AssemblerOptions, type AssemblerStats, type ParseErrorInfo } from "./assemble.js";
export { parseRecord, isRecordError, type AuditRecord, type RecordError } from "./record.js";
export { normalize, execveArgv } from "./normalize.js";
export { decodeSockaddr, formatIpv6 } from "./sockaddr.js";
export { archName, syscallName } from "./syscalls.js";
export { bytesToText } from "./values.js";
