export { DnsAnswersSource, type DnsAnswersOptions } from "./source.js";
export { gaiProgram, parseGaiLine, LIBC_CANDIDATES, type GaiAnswer } from "./gai.js";
