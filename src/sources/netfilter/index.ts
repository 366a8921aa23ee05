export { NetfilterSource, type NetfilterOptions } from "./source.js";
export { tableScript, addressSets, dnsServer, TABLE, type TableSpec, type UidSelector, type EgressSpec } from "./nft.js";
export { parseFlowLine, type FlowLine } from "./log-line.js";
export { KmsgReader } from "./kmsg.js";
export { kernelLogReader, type KernelLogReader, type KernelLogSpec } from "./kernel-log.js";
