// A loopback OTLP collector for the tests: OTLP/HTTP (protobuf bodies on /v1/logs and
// /v1/metrics) and OTLP/gRPC (the LogsService and MetricsService Export calls), decoding what it
// gets with the OTLP message definitions in otlp/otlp-subset.proto. It can be stopped and started
// again on the same port, to play a collector that is down.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Server as GrpcServer, ServerCredentials, status as grpcStatus, type ServiceDefinition, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import protobuf from "protobufjs";

const root = protobuf.loadSync(fileURLToPath(new URL("./otlp/otlp-subset.proto", import.meta.url)));
const LogsReq = root.lookupType("otlp.subset.ExportLogsServiceRequest");
const MetricsReq = root.lookupType("otlp.subset.ExportMetricsServiceRequest");
const Empty = root.lookupType("otlp.subset.ExportLogsServiceResponse");

export interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: OtlpValue[] };
}
export interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}
export interface OtlpLogRecord {
  timeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: OtlpValue;
  attributes: OtlpKeyValue[];
  eventName: string;
  resource: Record<string, unknown>;
}
export interface OtlpMetric {
  name: string;
  resource: Record<string, unknown>;
  sum?: { dataPoints: { asDouble?: number; asInt?: string; attributes: OtlpKeyValue[] }[] };
  gauge?: { dataPoints: { asDouble?: number; asInt?: string; attributes: OtlpKeyValue[] }[] };
  histogram?: { dataPoints: { count: string; sum: number; attributes: OtlpKeyValue[] }[] };
}

/** A plain JS value of an OTLP AnyValue. */
export function plain(v: OtlpValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return v.arrayValue.values.map(plain);
  return undefined;
}

export function attrs(kvs: OtlpKeyValue[]): Record<string, unknown> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, plain(kv.value)]));
}

const decodeOpts = { longs: String, defaults: true, arrays: true, oneofs: false };

type ResourceLogs = { resource?: { attributes: OtlpKeyValue[] }; scopeLogs: { logRecords: Omit<OtlpLogRecord, "resource">[] }[] };
type ResourceMetrics = { resource?: { attributes: OtlpKeyValue[] }; scopeMetrics: { metrics: Omit<OtlpMetric, "resource">[] }[] };

export class OtlpReceiver {
  readonly logs: OtlpLogRecord[] = [];
  readonly metrics: OtlpMetric[] = [];
  /** Requests taken, by transport and signal. */
  readonly requests = { http_logs: 0, http_metrics: 0, grpc_logs: 0, grpc_metrics: 0 };
  httpPort = 0;
  grpcPort = 0;
  private http: Server | undefined;
  private grpc: GrpcServer | undefined;

  private takeLogs(req: { resourceLogs: ResourceLogs[] }): void {
    for (const rl of req.resourceLogs) {
      const resource = attrs(rl.resource?.attributes ?? []);
      for (const sl of rl.scopeLogs) for (const r of sl.logRecords) this.logs.push({ ...r, resource });
    }
  }

  private takeMetrics(req: { resourceMetrics: ResourceMetrics[] }): void {
    for (const rm of req.resourceMetrics) {
      const resource = attrs(rm.resource?.attributes ?? []);
      for (const sm of rm.scopeMetrics) for (const m of sm.metrics) this.metrics.push({ ...m, resource });
    }
  }

  /** The newest data point of a metric, as a number (sums and gauges). */
  latest(name: string, where: (a: Record<string, unknown>) => boolean = () => true): number | undefined {
    for (let i = this.metrics.length - 1; i >= 0; i--) {
      const m = this.metrics[i]!;
      if (m.name !== name) continue;
      const points = m.sum?.dataPoints ?? m.gauge?.dataPoints ?? [];
      const p = points.find((x) => where(attrs(x.attributes)));
      if (p) return p.asDouble !== undefined && p.asDouble !== 0 ? p.asDouble : Number(p.asInt ?? 0);
    }
    return undefined;
  }

  async startHttp(port = 0): Promise<void> {
    this.http = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        const body = Buffer.concat(parts);
        try {
          if (req.url === "/v1/logs") {
            this.takeLogs(LogsReq.toObject(LogsReq.decode(body), decodeOpts) as { resourceLogs: ResourceLogs[] });
            this.requests.http_logs++;
          } else if (req.url === "/v1/metrics") {
            this.takeMetrics(MetricsReq.toObject(MetricsReq.decode(body), decodeOpts) as { resourceMetrics: ResourceMetrics[] });
            this.requests.http_metrics++;
          } else {
            res.writeHead(404).end();
            return;
          }
        } catch (e) {
          res.writeHead(400).end(String(e));
          return;
        }
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end(Buffer.from(Empty.encode({}).finish()));
      });
    });
    await new Promise<void>((r) => this.http!.listen(port, "127.0.0.1", r));
    this.httpPort = (this.http.address() as AddressInfo).port;
  }

  async stopHttp(): Promise<void> {
    const s = this.http;
    this.http = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  async startGrpc(port = 0): Promise<void> {
    const unary = (path: string, type: protobuf.Type, take: (o: never) => void, count: () => void) => ({
      path,
      requestStream: false,
      responseStream: false,
      requestDeserialize: (b: Buffer) => type.toObject(type.decode(b), decodeOpts),
      requestSerialize: () => Buffer.alloc(0),
      responseSerialize: () => Buffer.from(Empty.encode({}).finish()),
      responseDeserialize: () => ({}),
      handler: (call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) => {
        try {
          take(call.request as never);
          count();
          cb(null, {});
        } catch (e) {
          cb({ code: grpcStatus.INVALID_ARGUMENT, details: String(e) });
        }
      },
    });
    const logs = unary("/opentelemetry.proto.collector.logs.v1.LogsService/Export", LogsReq, (o) => this.takeLogs(o), () => this.requests.grpc_logs++);
    const metrics = unary("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", MetricsReq, (o) => this.takeMetrics(o), () => this.requests.grpc_metrics++);
    const server = new GrpcServer();
    const def = (u: typeof logs) => ({ Export: { path: u.path, requestStream: false, responseStream: false, requestDeserialize: u.requestDeserialize, requestSerialize: u.requestSerialize, responseSerialize: u.responseSerialize, responseDeserialize: u.responseDeserialize } }) as unknown as ServiceDefinition;
    server.addService(def(logs), { Export: logs.handler });
    server.addService(def(metrics), { Export: metrics.handler });
    this.grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    this.grpc = server;
  }

  async stopGrpc(): Promise<void> {
    const s = this.grpc;
    this.grpc = undefined;
    if (!s) return;
    s.forceShutdown();
    await new Promise((r) => setTimeout(r, 10));
  }

  async stop(): Promise<void> {
    await this.stopHttp();
    await this.stopGrpc();
  }
}
