import { EVENT_KINDS, type Event } from "./types.js";

/**
 * One line of recorded events: an Event as `clawav parse-audit` prints it, or a line of
 * `clawav run --headless --events` ({"type":"event","event":{...}}). Alert lines of the latter
 * are not events and are skipped. Anything else is an error that says what is wrong.
 */
export function parseEventLine(line: string): { event: Event } | { skip: true } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { error: `not JSON (${(e as Error).message})` };
  }
  if (!isObject(v)) return { error: "not a JSON object" };
  if (typeof v.type === "string") {
    if (v.type !== "event") return { skip: true };
    v = v.event;
    if (!isObject(v)) return { error: "event: not an object" };
  }
  const o = v;
  if (typeof o.id !== "string" || !/^[0-9a-f]{16}$/.test(o.id)) return { error: "id: want 16 hex digits" };
  if (typeof o.ts !== "number" || !Number.isFinite(o.ts)) return { error: "ts: want milliseconds since the epoch" };
  if (typeof o.kind !== "string" || !(EVENT_KINDS as readonly string[]).includes(o.kind)) return { error: `kind: want one of ${EVENT_KINDS.join(", ")}` };
  if (typeof o.source !== "string") return { error: "source: want a string" };
  if (typeof o.node_id !== "string") return { error: "node_id: want a string" };
  if (o.process !== undefined) {
    const p = o.process;
    if (!isObject(p)) return { error: "process: want an object" };
    for (const k of ["pid", "ppid", "uid", "euid"] as const) if (typeof p[k] !== "number") return { error: `process.${k}: want a number` };
    if (typeof p.exe !== "string" || typeof p.comm !== "string") return { error: "process.exe, process.comm: want strings" };
    if (!Array.isArray(p.argv) || !p.argv.every((a) => typeof a === "string")) return { error: "process.argv: want an array of strings" };
    const c = p.container;
    if (c !== undefined && (!isObject(c) || typeof c.id !== "string" || !/^[0-9a-f]{64}$/.test(c.id) || !["podman", "docker", "containerd", "crio"].includes(c.engine as string))) return { error: "process.container: want {id: 64 hex digits, engine: podman|docker|containerd|crio, ...}" };
  }
  if (o.file !== undefined && (!isObject(o.file) || typeof o.file.path !== "string" || !Array.isArray(o.file.items))) return { error: "file: want {path, items}" };
  if (o.net !== undefined && (!isObject(o.net) || typeof o.net.family !== "string")) return { error: "net: want {family, ...}" };
  return { event: o as unknown as Event };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
