export { readProc, type ProcSnapshot } from "./read.js";
export { ProcfsSource, type ProcfsSourceOptions } from "./source.js";
