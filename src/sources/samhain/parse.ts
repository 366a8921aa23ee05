// Samhain's log file: one message a line, `SEVERITY :  [time] msg=<...>, key=<value>, ...`, each
// followed by its signature (hex) and the file opened by `[SOF]`. Its policy violations (a file
// changed, added or missing under a watched tree) become findings; its own stop (msg=<EXIT>) a
// sensor event; its other messages (start, file check marks, module notices) are skipped.
import type { Event, ExternalInfo, Severity } from "../../events/index.js";
import type { LineParse } from "../logfile/index.js";

const SEVERITY: Record<string, Severity> = { ALERT: "critical", CRIT: "critical", ERROR: "critical", ERR: "critical", WARN: "warning", MARK: "info", NOTICE: "info", INFO: "info", DEBUG: "info" };
const LINE = /^([A-Z]+)\s*:\s+\[([^\]]+)\]\s+(.*)$/;
const SIGNATURE = /^[0-9A-F]{32,}(\[[^\]]*\])?$/;

/** The flags of `POLICY [ReadOnly] C-------TS` (Samhain's order): what changed. */
const FLAGS = ["checksum", "link target", "device", "inode", "hardlinks", "mode", "owner", "group", "timestamps", "size"];

export function parseSamhainLine(line: string, ctx: { id: () => string; nodeId: string; now: number }): LineParse {
  const t = line.trim();
  if (t === "[SOF]" || t === "[EOF]" || SIGNATURE.test(t)) return { skip: true };
  const m = LINE.exec(t);
  if (!m || !Object.hasOwn(SEVERITY, m[1]!)) return { ok: false, error: "not a Samhain log line (SEVERITY :  [time] msg=<...>)" };
  const [, level, time, rest] = m as unknown as [string, string, string, string];
  const fields: Record<string, string> = {};
  for (const f of rest.matchAll(/(\w+)=<([^>]*)>/g)) if (!Object.hasOwn(fields, f[1]!)) fields[f[1]!] = f[2]!;
  const msg = fields.msg;
  if (msg === undefined) return { ok: false, error: "no msg=<...> in a Samhain log line" };
  const ts = Date.parse(time.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  const when = Number.isFinite(ts) ? ts : ctx.now;
  if (msg === "EXIT") {
    return { ok: true, event: { id: ctx.id(), ts: when, source: "samhain", kind: "sensor", node_id: ctx.nodeId, fidelity: "poll", sensor: { condition: "samhain_stopped", detail: `status ${fields.status ?? "unknown"}` } } };
  }
  if (!msg.startsWith("POLICY")) return { skip: true };
  const kind = /^POLICY\s+(?:\[(\w+)\]\s*(\S*)|(\w+))/.exec(msg);
  const policy = kind?.[1] ?? kind?.[3] ?? "POLICY";
  const flags = kind?.[2] ?? "";
  const changed = [...flags].flatMap((c, i) => (c !== "-" && FLAGS[i] !== undefined ? [FLAGS[i]] : []));
  const path = fields.path;
  const what = policy === "ADDED" ? "added" : policy === "MISSING" ? "missing" : changed.length > 0 ? `${changed.join(", ")} changed` : msg.slice(7);
  const size = policy !== "ADDED" && policy !== "MISSING" && fields.size_old !== undefined && fields.size_new !== undefined && fields.size_old !== fields.size_new ? ` (size ${fields.size_old} -> ${fields.size_new})` : "";
  const external: ExternalInfo = {
    tool: "samhain",
    rule: `policy ${policy}`,
    priority: level,
    severity: SEVERITY[level]!,
    output: `${path !== undefined && path !== "-" ? `${path}: ` : ""}${what}${size}`,
    tags: policy === "ServiceNew" || policy === "ServiceMissing" ? ["mitre_command_and_control"] : ["mitre_persistence", "T1565.001"],
    fields,
  };
  const ev: Event = { id: ctx.id(), ts: when, source: "samhain", kind: "external", node_id: ctx.nodeId, fidelity: "poll", external };
  if (path !== undefined && path.startsWith("/")) ev.file = { path, items: [{ name: path, nametype: policy === "ADDED" ? "CREATE" : policy === "MISSING" ? "DELETE" : "NORMAL" }] };
  return { ok: true, event: ev };
}
