export { SyslogSource, type SyslogSourceOptions } from "./source.js";
export { parseSyslogLine, type SyslogParse } from "./parse.js";
