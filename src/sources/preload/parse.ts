import { basename } from "node:path";
import { isIP } from "node:net";
import { z } from "zod";
import type { Event } from "../../events/index.js";

/** One line of libclawguard.so's log (native/preload/log.c writes it). */
const preloadLine = z.object({
  v: z.literal(1),
  ts: z.number(),
  event: z.string().min(1).max(64),
  pid: z.number().int().min(0),
  ppid: z.number().int().min(0),
  uid: z.number().int().min(0),
  euid: z.number().int().min(0),
  exe: z.string(),
  call: z.string().optional(),
  op: z.enum(["exec", "read", "write", "connect"]).optional(),
  rule: z.string().optional(),
  index: z.number().int().optional(),
  policy: z.string().optional(),
  addr: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  path: z.string().optional(),
  resolved: z.string().optional(),
  argv: z.array(z.string()).optional(),
  detail: z.string().optional(),
});

export type PreloadParse = { ok: true; event: Event } | { ok: false; error: string };

/**
 * A log line into a gate Event. The line is the guarded process's own testimony (it writes the log
 * from inside the agent), so the event's time is when the daemon read it, not what the line says,
 * and it can raise alerts but never excuse anything.
 */
export function parsePreloadLine(line: string, ctx: { id: string; now: number; nodeId: string }): PreloadParse {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  const r = preloadLine.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return { ok: false, error: `${issue.path.join(".") || "line"}: ${issue.message}` };
  }
  const l = r.data;
  const deny = l.event === "deny";
  if (deny && (l.op === undefined || l.rule === undefined)) return { ok: false, error: "a deny line needs op and rule" };
  const event: Event = {
    id: ctx.id,
    ts: ctx.now,
    source: "preload",
    kind: "gate",
    node_id: ctx.nodeId,
    fidelity: "userspace",
    process: { pid: l.pid, ppid: l.ppid, uid: l.uid, euid: l.euid, auid: null, exe: l.exe, comm: basename(l.exe).slice(0, 15), argv: [l.exe] },
    gate: {
      gate: "preload",
      decision: deny ? "deny" : "notice",
      op: deny ? l.op! : l.event,
      reason: l.detail ?? l.rule ?? l.event,
      ...(l.rule !== undefined ? { rule: l.index !== undefined ? `${l.rule}[${l.index}]` : l.rule } : {}),
      ...(l.argv !== undefined ? { target_argv: l.argv } : {}),
    },
  };
  const path = l.resolved ?? l.path;
  if (path !== undefined && l.op !== "connect") event.file = { path, items: l.path !== undefined && l.path !== path ? [{ name: path, named: l.path, nametype: "NORMAL" }] : [] };
  if (l.op === "connect" && l.addr !== undefined) event.net = { family: isIP(l.addr) === 6 ? "inet6" : "inet", address: l.addr, ...(l.port !== undefined ? { port: l.port } : {}) };
  return { ok: true, event };
}
