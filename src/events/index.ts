export * from "./types.js";
export * from "./severity.js";
export * from "./ids.js";
export * from "./contracts.js";
export { parseEventLine } from "./parse.js";
