export { LogFileSource, type LogFileOptions, type LineParse } from "./source.js";
