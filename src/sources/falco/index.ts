import type { EventIdGenerator } from "../../events/index.js";
import { LogFileSource } from "../logfile/index.js";
import { parseFalcoLine } from "./parse.js";

export { parseFalcoLine, type FalcoParse } from "./parse.js";

/** Falco's JSON output file (json_output: true, file_output). */
export function falcoSource(o: { path: string; nodeId: string; ids: EventIdGenerator }): LogFileSource {
  return new LogFileSource({ name: "falco", paths: [o.path], nodeId: o.nodeId, ids: o.ids, fidelity: "kernel", parse: parseFalcoLine, badLines: "falco_bad_lines" });
}
