export { FindingsLogSource, type FindingsLogOptions, type FindingParse } from "./source.js";
