// A loopback collector for clawav's own telemetry stream: NDJSON over HTTP, and the gRPC service
// of proto/clawav/telemetry/v1/telemetry.proto (loaded from the repository, as a collector would).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadPackageDefinition, Server as GrpcServer, ServerCredentials, type GrpcObject, type ServiceClientConstructor, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { TELEMETRY_PROTO, type TelemetryRecord } from "../../src/telemetry/index.js";

/** A record as the gRPC service delivers it: the fields clawav sends. */
export type GrpcRecord = TelemetryRecord;

export class TelemetryReceiver {
  /** NDJSON lines, parsed. */
  readonly lines: Record<string, unknown>[] = [];
  readonly grpcBatches: { node_id: string; clawav_version: string; records: GrpcRecord[] }[] = [];
  readonly contentTypes: string[] = [];
  httpPort = 0;
  grpcPort = 0;
  private http: Server | undefined;
  private grpc: GrpcServer | undefined;

  get grpcRecords(): GrpcRecord[] {
    return this.grpcBatches.flatMap((b) => b.records);
  }

  async startHttp(port = 0): Promise<void> {
    this.http = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        this.contentTypes.push(req.headers["content-type"] ?? "");
        for (const l of Buffer.concat(parts).toString("utf8").split("\n")) if (l !== "") this.lines.push(JSON.parse(l) as Record<string, unknown>);
        res.writeHead(204).end();
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
    const pkg = loadPackageDefinition(loadSync(TELEMETRY_PROTO, { keepCase: true, longs: Number, defaults: true })) as unknown as { clawav: { telemetry: { v1: GrpcObject & { Telemetry: ServiceClientConstructor } } } };
    const server = new GrpcServer();
    server.addService(pkg.clawav.telemetry.v1.Telemetry.service, {
      Export: (call: ServerUnaryCall<{ node_id: string; clawav_version: string; records: GrpcRecord[] }, unknown>, cb: sendUnaryData<{ accepted: number }>) => {
        this.grpcBatches.push(call.request);
        cb(null, { accepted: call.request.records.length });
      },
    });
    this.grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    this.grpc = server;
  }

  async stop(): Promise<void> {
    await this.stopHttp();
    this.grpc?.forceShutdown();
    this.grpc = undefined;
  }
}
