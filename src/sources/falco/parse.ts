// One line of Falco's JSON output (`json_output: true`), as its documentation describes it:
// time, rule, priority, output, output_fields, source, tags, hostname. Parsed, not trusted: a
// line that is not such an object is an error with the reason, never a guess.
import type { Event, ExternalInfo, ProcessInfo, Severity } from "../../events/index.js";

const SEVERITY_OF_PRIORITY: Record<string, Severity> = {
  emergency: "critical",
  alert: "critical",
  critical: "critical",
  error: "critical",
  warning: "warning",
  notice: "info",
  informational: "info",
  info: "info",
  debug: "info",
};

type Scalar = string | number | boolean | null;
export type FalcoParse = { ok: true; event: Event } | { ok: false; error: string };

export function parseFalcoLine(line: string, ctx: { id: () => string; nodeId: string; now: number }): FalcoParse {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { ok: false, error: "not a JSON object" };
  const o = v as Record<string, unknown>;
  if (typeof o.rule !== "string" || o.rule.trim() === "") return { ok: false, error: "rule: want a string" };
  if (typeof o.output !== "string") return { ok: false, error: "output: want a string" };
  if (typeof o.priority !== "string" || !Object.hasOwn(SEVERITY_OF_PRIORITY, o.priority.toLowerCase())) return { ok: false, error: `priority: want one of ${Object.keys(SEVERITY_OF_PRIORITY).join(", ")}` };
  let ts = ctx.now;
  if (o.time !== undefined) {
    // Falco writes nanoseconds; Date keeps milliseconds.
    const t = typeof o.time === "string" ? Date.parse(o.time.replace(/(\.\d{3})\d+/, "$1")) : NaN;
    if (!Number.isFinite(t)) return { ok: false, error: "time: want an RFC 3339 time" };
    ts = t;
  }
  if (o.tags !== undefined && (!Array.isArray(o.tags) || o.tags.some((t) => typeof t !== "string"))) return { ok: false, error: "tags: want a list of strings" };
  let fields: Record<string, Scalar> | undefined;
  if (o.output_fields !== undefined && o.output_fields !== null) {
    if (typeof o.output_fields !== "object" || Array.isArray(o.output_fields)) return { ok: false, error: "output_fields: want an object" };
    fields = {};
    for (const [k, x] of Object.entries(o.output_fields as Record<string, unknown>)) {
      if (x !== null && typeof x !== "string" && typeof x !== "number" && typeof x !== "boolean") return { ok: false, error: `output_fields.${k}: want a string, number, boolean or null` };
      fields[k] = x;
    }
  }
  const external: ExternalInfo = {
    tool: "falco",
    rule: o.rule,
    priority: o.priority,
    severity: SEVERITY_OF_PRIORITY[o.priority.toLowerCase()]!,
    output: o.output,
    tags: (o.tags as string[] | undefined) ?? [],
    ...(fields ? { fields } : {}),
  };
  const event: Event = { id: ctx.id(), ts, source: "falco", kind: "external", node_id: ctx.nodeId, fidelity: "kernel", external };
  const p = fields ? processOf(fields) : undefined;
  if (p) event.process = p;
  return { ok: true, event };
}

/** The process Falco's fields describe, when they name one (proc.pid or proc.exepath). */
function processOf(f: Record<string, Scalar>): ProcessInfo | undefined {
  const num = (k: string) => (typeof f[k] === "number" && Number.isInteger(f[k]) ? (f[k]) : undefined);
  const str = (k: string) => (typeof f[k] === "string" && f[k] !== "" ? (f[k]) : undefined);
  const pid = num("proc.pid");
  const exe = str("proc.exepath") ?? str("proc.exe");
  if (pid === undefined && exe === undefined) return undefined;
  // proc.cmdline is the name and the arguments joined by spaces: split back on them (an argument
  // with a space in it comes out as two words; Falco does not keep the boundary).
  const cmdline = str("proc.cmdline");
  // Falco writes an unset login uid as -1 (the kernel's 4294967295).
  const login = num("user.loginuid");
  const p: ProcessInfo = { auid: login === undefined || login < 0 || login === 4294967295 ? null : login, argv: cmdline ? cmdline.split(" ").filter((w) => w !== "") : [] };
  if (pid !== undefined) p.pid = pid;
  const ppid = num("proc.ppid");
  if (ppid !== undefined) p.ppid = ppid;
  const uid = num("user.uid");
  if (uid !== undefined) p.uid = uid;
  const user = str("user.name");
  if (user !== undefined) p.user = user;
  if (exe !== undefined) p.exe = exe;
  const comm = str("proc.name");
  if (comm !== undefined) p.comm = comm;
  const cwd = str("proc.cwd");
  if (cwd !== undefined) p.cwd = cwd;
  return p;
}
