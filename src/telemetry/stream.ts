// Seed 003's telemetry: every judged event and every alert, each stamped with node_id and
// policy_version, streamed to a collector of the user's as NDJSON over HTTP (format "json") or to
// the gRPC service in proto/clawav/telemetry/v1/telemetry.proto (format "grpc").
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { credentials, loadPackageDefinition, type Client, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import type { Alert, AlertSink, Event, Notice } from "../events/index.js";
import { VERSION } from "../version.js";
import { TELEMETRY_PROTO } from "./proto-path.js";
import { BatchQueue } from "./batch-queue.js";


export interface TelemetryRecord {
  type: "event" | "alert";
  event_id: string;
  ts_ms: number;
  node_id: string;
  policy_version: string;
  kind: string;
  severity: string;
  rule: string;
  category: string;
  mitre: string[];
  json: string;
}

export interface TelemetryOptions {
  format: "json" | "grpc";
  /** json: an http(s) URL that takes POSTs; grpc: host:port, or http(s)://host:port (https: TLS). */
  endpoint: string;
  /** Every judged event, not only alerts. */
  events: boolean;
  /** Also each repeat the aggregator folded into an earlier alert (default: the first of each detection per window). */
  repeats: boolean;
  headers: Record<string, string>;
  caFile?: string;
  nodeId: string;
  policyVersion: () => string;
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
  timeoutMs: number;
  onError?(message: string): void;
}

export function alertTelemetry(a: Alert, policyVersion: string, count: number): TelemetryRecord {
  const stamped = { ...a, policy_version: policyVersion, count };
  return { type: "alert", event_id: a.event_id, ts_ms: a.ts, node_id: a.node_id, policy_version: policyVersion, kind: a.event.kind, severity: a.severity, rule: a.rule, category: a.category, mitre: [...(a.mitre ?? [])], json: JSON.stringify({ type: "alert", ...stamped }) };
}

export function eventTelemetry(e: Event, policyVersion: string): TelemetryRecord {
  return { type: "event", event_id: e.id, ts_ms: e.ts, node_id: e.node_id, policy_version: policyVersion, kind: e.kind, severity: "", rule: "", category: "", mitre: [], json: JSON.stringify({ type: "event", policy_version: policyVersion, ...e }) };
}

type Send = (batch: TelemetryRecord[]) => Promise<void>;

function ndjsonSender(o: TelemetryOptions): Send {
  const url = new URL(o.endpoint);
  const ca = o.caFile !== undefined ? readFileSync(o.caFile) : undefined;
  const req = url.protocol === "https:" ? httpsRequest : httpRequest;
  return (batch) =>
    new Promise<void>((resolve, reject) => {
      const body = Buffer.from(batch.map((r) => r.json).join("\n") + "\n");
      const r = req(url, { method: "POST", headers: { ...o.headers, "content-type": "application/x-ndjson", "content-length": body.length }, timeout: o.timeoutMs, ...(ca ? { ca } : {}) }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode ?? "?"} from ${url.origin}`))));
      });
      r.on("timeout", () => r.destroy(new Error(`no answer from ${url.origin} in ${o.timeoutMs} ms`)));
      r.on("error", reject);
      r.end(body);
    });
}

interface TelemetryClient extends Client {
  Export(req: unknown, opts: { deadline: number }, cb: (err: ServiceError | null, res?: { accepted?: string | number }) => void): void;
}

function grpcSender(o: TelemetryOptions): { send: Send; close(): void } {
  const def = loadSync(TELEMETRY_PROTO, { keepCase: true, longs: Number, defaults: true });
  const pkg = loadPackageDefinition(def) as unknown as { clawav: { telemetry: { v1: { Telemetry: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => TelemetryClient } } } };
  const tls = o.endpoint.startsWith("https://") || o.caFile !== undefined;
  const address = o.endpoint.replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "");
  const client = new pkg.clawav.telemetry.v1.Telemetry(address, tls ? credentials.createSsl(o.caFile !== undefined ? readFileSync(o.caFile) : null) : credentials.createInsecure());
  const send: Send = (batch) =>
    new Promise<void>((resolve, reject) => {
      client.Export({ records: batch, node_id: o.nodeId, clawav_version: VERSION }, { deadline: Date.now() + o.timeoutMs }, (err, res) => {
        if (err) return reject(new Error(`gRPC ${err.code}: ${err.details || err.message}`));
        if (Number(res?.accepted ?? 0) < batch.length) return reject(new Error(`the collector took ${String(res?.accepted ?? 0)} of ${batch.length} records`));
        resolve();
      });
    });
  return { send, close: () => client.close() };
}

/** The seed-003 stream: an AlertSink that also sees every judged event. */
export class TelemetryStream implements AlertSink {
  readonly name = "telemetry";
  private readonly queue: BatchQueue<TelemetryRecord>;
  private readonly closeClient: () => void;

  constructor(private readonly o: TelemetryOptions) {
    let send: Send;
    if (o.format === "grpc") {
      const g = grpcSender(o);
      send = g.send;
      this.closeClient = () => g.close();
    } else {
      send = ndjsonSender(o);
      this.closeClient = () => undefined;
    }
    this.queue = new BatchQueue({ capacity: o.queueSize, batchSize: o.batchSize, intervalMs: o.flushIntervalMs, send, onError: (m) => o.onError?.(`telemetry: ${m}`) });
  }

  accept(n: Notice): void {
    if (!n.fresh && !this.o.repeats) return;
    this.queue.push(alertTelemetry(n.alert, this.o.policyVersion(), n.entry.count));
  }

  observe(e: Event): void {
    if (this.o.events) this.queue.push(eventTelemetry(e, this.o.policyVersion()));
  }

  status(): Record<string, number | string> {
    return { format: this.o.format, endpoint: this.o.endpoint, ...this.queue.status() };
  }

  async close(deadlineMs = 2000): Promise<void> {
    await this.queue.close(deadlineMs);
    this.closeClient();
  }
}
