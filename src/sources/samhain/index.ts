import type { EventIdGenerator } from "../../events/index.js";
import { LogFileSource } from "../logfile/index.js";
import { parseSamhainLine } from "./parse.js";

export { parseSamhainLine } from "./parse.js";

/** Samhain's log file (SetLogfilePath; Debian: /var/log/samhain/samhain.log). */
export function samhainSource(o: { path: string; nodeId: string; ids: EventIdGenerator }): LogFileSource {
  return new LogFileSource({ name: "samhain", paths: [o.path], nodeId: o.nodeId, ids: o.ids, fidelity: "poll", parse: parseSamhainLine, badLines: "samhain_bad_lines" });
}
