// The system's own log as rsyslog keeps it: auth.log (sshd, sudo, su, PAM) and syslog, each line
// one `log` event. What the agent cannot hide from the kernel it may still leave here (a failed
// sudo, an ssh login). A line of another shape (a continued message) is only counted.
import type { EventIdGenerator, LogInfo } from "../../events/index.js";
import { LogFileSource } from "../logfile/index.js";
import { parseSyslogLine } from "./parse.js";

export { parseSyslogLine, type SyslogParse } from "./parse.js";

export function syslogSource(o: { files: { path: string; log: LogInfo["log"] }[]; nodeId: string; ids: EventIdGenerator }): LogFileSource {
  const logOf = new Map(o.files.map((f) => [f.path, f.log]));
  return new LogFileSource({ name: "syslog", paths: o.files.map((f) => f.path), nodeId: o.nodeId, ids: o.ids, fidelity: "userspace", parse: (line, ctx) => parseSyslogLine(line, { ...ctx, log: logOf.get(ctx.file)! }) });
}
