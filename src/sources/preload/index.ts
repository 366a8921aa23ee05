export { PreloadSource, type PreloadSourceOptions } from "./source.js";
export { parsePreloadLine, type PreloadParse } from "./parse.js";
