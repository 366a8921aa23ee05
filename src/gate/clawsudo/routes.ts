import type { IncomingMessage } from "node:http";
import { z } from "zod";
import type { GateInfo } from "../../events/index.js";
import type { Route } from "../../api/index.js";
import { readJsonBody } from "../../api/index.js";
import type { ApprovalRegistry, SudoRequest } from "./approvals.js";

/** What clawsudo reports for each decision. Parsed at the edge: anything else is a 400. */
export const decisionReport = z.strictObject({
  decision: z.enum(["allow", "deny", "ask"]),
  reason: z.string().max(2000),
  rule: z.string().max(200),
  user: z.string().max(64),
  uid: z.number().int().min(0),
  pid: z.number().int().min(0),
  cwd: z.string().max(4096),
  exe: z.string().max(4096),
  argv: z.array(z.string().max(131072)).min(1).max(4096),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

const hashBody = z.strictObject({ hash: z.string().regex(/^[0-9a-f]{64}$/) });
const resultBody = z.strictObject({ hash: z.string().regex(/^[0-9a-f]{64}$/), exit: z.number().int() });
const answerBody = z.strictObject({ by: z.string().max(200).optional() });

/** The daemon's side: it records a gate event (chain + alert) for each step. */
export interface ClawsudoHost {
  registry: ApprovalRegistry;
  askTimeoutMs: number;
  record(info: GateInfo, who: { user: string; uid: number; pid: number; cwd: string; exe: string; argv: string[] }): void;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T | { error: string } {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  return { error: `${issue.path.join(".") || "body"}: ${issue.message}` };
}

const isError = (x: unknown): x is { error: string } => typeof x === "object" && x !== null && "error" in x;

function view(r: SudoRequest): Record<string, unknown> {
  return { id: r.id, state: r.state, user: r.user, uid: r.uid, cwd: r.cwd, exe: r.exe, argv: r.argv, reason: r.reason, created: r.created, expires: r.expires, ...(r.decided_by ? { decided_by: r.decided_by } : {}) };
}

const whoOf = (r: SudoRequest) => ({ user: r.user, uid: r.uid, pid: r.pid, cwd: r.cwd, exe: r.exe, argv: r.argv });

/**
 * The API behind clawsudo and `clawav approve`. Every route wants the admin token: clawsudo reads
 * it as root, the agent cannot. There is no other way to approve a request.
 */
export function clawsudoRoutes(host: ClawsudoHost): Route[] {
  const reg = host.registry;
  const body = async <T>(req: IncomingMessage, schema: z.ZodType<T>) => parse(schema, await readJsonBody(req, 1 << 20));
  return [
    {
      method: "POST",
      path: "/api/clawsudo/decisions",
      requireToken: true,
      handle: async (req) => {
        const d = await body(req, decisionReport);
        if (isError(d)) return { status: 400, body: d };
        const who = { user: d.user, uid: d.uid, pid: d.pid, cwd: d.cwd, exe: d.exe, argv: d.argv };
        if (d.decision !== "ask") {
          host.record({ gate: "clawsudo", decision: d.decision, reason: d.reason, rule: d.rule, argv_hash: d.hash }, who);
          return { status: 200, body: { recorded: true } };
        }
        const r = reg.open({ ...who, hash: d.hash, reason: d.reason }, host.askTimeoutMs);
        if ("refused" in r) {
          host.record({ gate: "clawsudo", decision: "deny", reason: r.refused, rule: "queue-full", argv_hash: d.hash }, who);
          return { status: 503, body: { error: `${r.refused}; denied` } };
        }
        host.record({ gate: "clawsudo", decision: "ask", reason: d.reason, rule: d.rule, request_id: r.id, argv_hash: d.hash }, who);
        return { status: 200, body: { recorded: true, id: r.id, expires: r.expires } };
      },
    },
    {
      method: "GET",
      path: "/api/clawsudo/requests",
      requireToken: true,
      handle: () => ({ status: 200, body: { requests: reg.list().map(view) } }),
    },
    {
      method: "GET",
      path: "/api/clawsudo/requests/",
      requireToken: true,
      handle: (_req, _url, rest) => {
        const r = reg.get(rest);
        return r ? { status: 200, body: view(r) } : { status: 404, body: { error: `no request ${rest}` } };
      },
    },
    {
      method: "POST",
      path: "/api/clawsudo/requests/",
      requireToken: true,
      handle: async (req, _url, rest) => {
        const m = /^([0-9a-f]{8})\/(approve|reject|consume|expire|result)$/.exec(rest);
        if (!m) return { status: 404, body: { error: "want POST /api/clawsudo/requests/ID/(approve|reject|consume|expire|result)" } };
        const [, id, verb] = m as unknown as [string, string, string];
        if (verb === "approve" || verb === "reject") {
          const a = await body(req, answerBody);
          if (isError(a)) return { status: 400, body: a };
          const by = a.by ?? "api";
          const out = verb === "approve" ? reg.approve(id, by) : reg.reject(id, by);
          if (!out.ok) return { status: out.status, body: { error: out.error } };
          host.record({ gate: "clawsudo", decision: verb === "approve" ? "approved" : "rejected", reason: `${verb}d by ${by}`, request_id: id, argv_hash: out.request.hash, by }, whoOf(out.request));
          return { status: 200, body: view(out.request) };
        }
        if (verb === "consume") {
          const h = await body(req, hashBody);
          if (isError(h)) return { status: 400, body: h };
          const out = reg.consume(id, h.hash);
          if (!out.ok) return { status: out.status, body: { error: out.error } };
          host.record({ gate: "clawsudo", decision: "used", reason: "approval used", request_id: id, argv_hash: h.hash, ...(out.request.decided_by ? { by: out.request.decided_by } : {}) }, whoOf(out.request));
          return { status: 200, body: view(out.request) };
        }
        if (verb === "expire") {
          // A request that already ran out of time is reported by the daemon's sweep, not here: once.
          const before = reg.get(id)?.state;
          const out = reg.expire(id);
          if (!out.ok) return { status: out.status, body: { error: out.error } };
          if (before === "pending" || before === "approved") host.record({ gate: "clawsudo", decision: "timeout", reason: "no answer in time", request_id: id, argv_hash: out.request.hash }, whoOf(out.request));
          return { status: 200, body: view(out.request) };
        }
        const res = await body(req, resultBody);
        if (isError(res)) return { status: 400, body: res };
        const r = reg.get(id);
        if (!r || r.hash !== res.hash) return { status: 404, body: { error: `no request ${id} for that command` } };
        host.record({ gate: "clawsudo", decision: "result", reason: `exit ${res.exit}`, request_id: id, argv_hash: res.hash, exit: res.exit }, whoOf(r));
        return { status: 200, body: { recorded: true } };
      },
    },
  ];
}
