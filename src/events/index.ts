export * from "./types.js";
export * from "./severity.js";
export * from "./ids.js";
