import type { EventIdGenerator } from "../../events/index.js";
import { FindingsLogSource } from "../findings/index.js";
import { parseSamhainLine } from "./parse.js";

export { parseSamhainLine } from "./parse.js";

/** Samhain's log file (SetLogfilePath; Debian: /var/log/samhain/samhain.log). */
export function samhainSource(o: { path: string; nodeId: string; ids: EventIdGenerator }): FindingsLogSource {
  return new FindingsLogSource({ name: "samhain", ...o, parse: parseSamhainLine, badLines: "samhain_bad_lines" });
}
