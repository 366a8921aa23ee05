export { FalcoSource, type FalcoSourceOptions } from "./source.js";
export { parseFalcoLine, type FalcoParse } from "./parse.js";
