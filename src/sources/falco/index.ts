import type { EventIdGenerator } from "../../events/index.js";
import { FindingsLogSource } from "../findings/index.js";
import { parseFalcoLine } from "./parse.js";

export { parseFalcoLine, type FalcoParse } from "./parse.js";

/** Falco's JSON output file (json_output: true, file_output). */
export function falcoSource(o: { path: string; nodeId: string; ids: EventIdGenerator }): FindingsLogSource {
  return new FindingsLogSource({ name: "falco", ...o, parse: parseFalcoLine, badLines: "falco_bad_lines" });
}
