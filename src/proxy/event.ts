// A proxy finding as an event of the pipeline: another sensor's judgement (tool "proxy"), carried
// to the chain and the channels as it stands, with the agent's uid so per-agent views hold it.
import type { Event, EventIdGenerator } from "../events/index.js";
import type { ProxyFinding } from "./server.js";

export function findingEvent(f: ProxyFinding, ids: EventIdGenerator, nodeId: string): Event {
  return {
    id: ids.take(),
    ts: Date.now(),
    source: "proxy",
    kind: "external",
    node_id: nodeId,
    fidelity: "userspace",
    ...(f.uid !== undefined ? { process: { uid: f.uid, auid: null, argv: [] } } : {}),
    external: { tool: "proxy", rule: f.rule, priority: f.severity, severity: f.severity, output: f.summary, tags: [...f.mitre], category: f.category, fields: { ...(f.key !== undefined ? { key: f.key } : {}), ...(f.upstream !== undefined ? { upstream: f.upstream } : {}) } },
  };
}
