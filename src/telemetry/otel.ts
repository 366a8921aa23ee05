// OpenTelemetry: alerts (and, when asked, every judged event) as OTLP log records, and the
// daemon's figures as OTLP metrics, over OTLP/HTTP (protobuf) or OTLP/gRPC, with the official
// SDK's exporters. The SDK's own batch processor drops silently when full, so the log records go
// through clawav's BatchQueue instead: bounded, every drop counted, a failed batch tried again.
import { readFileSync } from "node:fs";
import { credentials } from "@grpc/grpc-js";
import { SeverityNumber, type AnyValueMap } from "@opentelemetry/api-logs";
import { OTLPLogExporter as GrpcLogExporter } from "@opentelemetry/exporter-logs-otlp-grpc";
import { OTLPLogExporter as HttpLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPMetricExporter as GrpcMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
import { OTLPMetricExporter as HttpMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { LoggerProvider, type LogRecordExporter, type LogRecordProcessor, type ReadableLogRecord, type SdkLogRecord } from "@opentelemetry/sdk-logs";
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { Histogram as OtelHistogram, Observable } from "@opentelemetry/api";
import type { MetricObjectWithValues, MetricValue, Registry } from "prom-client";
import type { Alert, AlertSink, Event, Notice, Severity } from "../events/index.js";
import { severityRank } from "../events/index.js";
import { BatchQueue } from "./batch-queue.js";

/** A Prometheus registry and how to read it now (the daemon's series read its status once per read). */
export interface MetricsSource {
  registry: Registry;
  read(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
}

export interface OtelOptions {
  protocol: "http" | "grpc";
  /** http: the collector's base URL (…:4318; /v1/logs and /v1/metrics are added); grpc: host:port or a URL (…:4317). */
  endpoint: string;
  headers: Record<string, string>;
  /** PEM trusted besides the system's roots, for an https or TLS gRPC collector. */
  caFile?: string;
  logs: boolean;
  /** Every judged event as a log record too, not only alerts. */
  events: boolean;
  minSeverity: Severity;
  /** Also each repeat the aggregator folded into an earlier alert (default: the first of each detection per window). */
  repeats: boolean;
  metrics: boolean;
  metricsIntervalMs: number;
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
  timeoutMs: number;
  resource: { hostName: string; nodeId: string; policyVersion: string; serviceVersion: string };
  /** The policy version in force now (a remote bundle changes it); stamped on every record. */
  policyVersion: () => string;
  /** The Prometheus series exported as OTLP metrics too: the registry, and a fresh read of it per export. */
  metricsSource?: MetricsSource;
  onError?(message: string): void;
}

const SEVERITY_NUMBER: Record<Severity, SeverityNumber> = { info: SeverityNumber.INFO, warning: SeverityNumber.WARN, critical: SeverityNumber.ERROR };

/** Hands each emitted record to clawav's queue (the SDK's batch processor would drop silently). */
class QueueProcessor implements LogRecordProcessor {
  constructor(private readonly queue: BatchQueue<ReadableLogRecord>) {}
  onEmit(record: SdkLogRecord): void {
    this.queue.push(record);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function exportLogs(exporter: LogRecordExporter, batch: ReadableLogRecord[]): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(batch, (r) => (r.code === ExportResultCode.SUCCESS ? resolve() : reject(r.error ?? new Error("the collector refused the logs"))));
  });
}

function grpcUrl(endpoint: string): string {
  return /^[a-z]+:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
}

/** Counts what the metric exporter could not deliver (the next export carries the cumulative figures again). */
class CountingMetricExporter implements PushMetricExporter {
  failures = 0;
  exported = 0;
  lastError: string | undefined;
  constructor(
    private readonly inner: PushMetricExporter,
    private readonly onError?: (m: string) => void,
  ) {}
  export(metrics: ResourceMetrics, cb: (r: ExportResult) => void): void {
    this.inner.export(metrics, (r) => {
      if (r.code === ExportResultCode.SUCCESS) this.exported++;
      else {
        this.failures++;
        this.lastError = r.error?.message ?? "export failed";
        this.onError?.(`otel metrics: ${this.lastError}`);
      }
      cb(r);
    });
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  selectAggregationTemporality = (t: Parameters<NonNullable<PushMetricExporter["selectAggregationTemporality"]>>[0]) => this.inner.selectAggregationTemporality!(t);
}

export class OtelExport implements AlertSink {
  readonly name = "otel";
  private readonly provider?: LoggerProvider;
  private readonly queue?: BatchQueue<ReadableLogRecord>;
  private readonly meterProvider?: MeterProvider;
  private readonly metricExporter?: CountingMetricExporter;
  private readonly latency?: OtelHistogram;
  private readonly logger?: ReturnType<LoggerProvider["getLogger"]>;
  private readonly minRank: number;
  private emitted = 0;

  constructor(private readonly o: OtelOptions) {
    this.minRank = severityRank(o.minSeverity);
    const ca = o.caFile !== undefined ? readFileSync(o.caFile) : undefined;
    const resource = resourceFromAttributes({
      "service.name": "clawav",
      "service.version": o.resource.serviceVersion,
      "host.name": o.resource.hostName,
      node_id: o.resource.nodeId,
      policy_version: o.resource.policyVersion,
    });
    const base = o.endpoint.replace(/\/+$/, "");
    const grpcCreds = () => (ca !== undefined || o.endpoint.startsWith("https://") ? credentials.createSsl(ca ?? null) : credentials.createInsecure());
    if (o.logs) {
      const exporter: LogRecordExporter =
        o.protocol === "grpc"
          ? new GrpcLogExporter({ url: grpcUrl(o.endpoint), credentials: grpcCreds(), timeoutMillis: o.timeoutMs })
          : new HttpLogExporter({ url: `${base}/v1/logs`, headers: o.headers, timeoutMillis: o.timeoutMs, ...(ca ? { httpAgentOptions: { ca } } : {}) });
      this.queue = new BatchQueue<ReadableLogRecord>({
        capacity: o.queueSize,
        batchSize: o.batchSize,
        intervalMs: o.flushIntervalMs,
        send: (batch) => exportLogs(exporter, batch),
        onError: (m) => o.onError?.(`otel logs: ${m}`),
      });
      this.provider = new LoggerProvider({ resource, processors: [new QueueProcessor(this.queue)] });
      this.logger = this.provider.getLogger("clawav");
    }
    if (o.metrics) {
      const inner: PushMetricExporter =
        o.protocol === "grpc"
          ? new GrpcMetricExporter({ url: grpcUrl(o.endpoint), credentials: grpcCreds(), timeoutMillis: o.timeoutMs })
          : new HttpMetricExporter({ url: `${base}/v1/metrics`, headers: o.headers, timeoutMillis: o.timeoutMs, ...(ca ? { httpAgentOptions: { ca } } : {}) });
      this.metricExporter = new CountingMetricExporter(inner, (m) => o.onError?.(m));
      const reader = new PeriodicExportingMetricReader({ exporter: this.metricExporter, exportIntervalMillis: o.metricsIntervalMs, exportTimeoutMillis: Math.min(o.timeoutMs, o.metricsIntervalMs) });
      this.meterProvider = new MeterProvider({ resource, readers: [reader] });
      const meter = this.meterProvider.getMeter("clawav");
      this.latency = meter.createHistogram("clawav_event_handle_seconds", { description: "Time an event takes through the pipeline (enrich, judge, record, mitigate, sinks)", unit: "s", advice: { explicitBucketBoundaries: [5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 5e-3, 0.02, 0.1] } });
      if (o.metricsSource) bridgeRegistry(meter, o.metricsSource);
    }
  }

  accept(n: Notice): void {
    if (!this.logger || severityRank(n.alert.severity) < this.minRank || (!n.fresh && !this.o.repeats)) return;
    this.emit(alertRecord(n.alert, n.entry.count, this.o.policyVersion()));
  }

  observe(e: Event): void {
    if (!this.logger || !this.o.events) return;
    this.emit(eventRecord(e, this.o.policyVersion()));
  }

  /** The time one event took through the pipeline, for the latency histogram. */
  recordHandle(seconds: number): void {
    this.latency?.record(seconds);
  }

  private emit(r: { body: string; severity: Severity | undefined; ts: number; name: string; attributes: AnyValueMap }): void {
    this.emitted++;
    this.logger!.emit({
      timestamp: r.ts,
      observedTimestamp: Date.now(),
      body: r.body,
      eventName: r.name,
      attributes: r.attributes,
      ...(r.severity ? { severityNumber: SEVERITY_NUMBER[r.severity], severityText: r.severity } : { severityNumber: SeverityNumber.INFO, severityText: "event" }),
    });
  }

  status(): Record<string, number | string> {
    return {
      endpoint: this.o.endpoint,
      protocol: this.o.protocol,
      emitted: this.emitted,
      ...(this.queue ? this.queue.status() : {}),
      ...(this.metricExporter ? { metric_exports: this.metricExporter.exported, metric_export_failures: this.metricExporter.failures } : {}),
    };
  }

  async close(deadlineMs = 2000): Promise<void> {
    await this.queue?.close(deadlineMs);
    // The final metrics go out at shutdown; a collector that is down must not hold the stop.
    await Promise.race([this.meterProvider?.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.provider?.shutdown().catch(() => undefined);
  }
}

/** The Prometheus counters and gauges, observed at each metric export (one read of the registry per export). */
function bridgeRegistry(meter: ReturnType<MeterProvider["getMeter"]>, source: MetricsSource): void {
  const registry = source.registry;
  const observables = new Map<string, Observable>();
  for (const m of registry.getMetricsAsArray()) {
    const { name, help, type } = m as unknown as { name: string; help: string; type: string };
    if (type === "counter") observables.set(name, meter.createObservableCounter(name, { description: help }));
    else if (type === "gauge") observables.set(name, meter.createObservableGauge(name, { description: help }));
  }
  meter.addBatchObservableCallback(async (result) => {
    for (const m of await source.read()) {
      const o = observables.get(m.name);
      if (!o) continue;
      for (const v of m.values) {
        if (typeof v.value === "number" && Number.isFinite(v.value)) result.observe(o, v.value, v.labels);
      }
    }
  }, [...observables.values()]);
}

function processAttributes(e: Event): AnyValueMap {
  const p = e.process;
  const a: AnyValueMap = {};
  if (!p) return a;
  if (p.pid !== undefined) a["process.pid"] = p.pid;
  if (p.ppid !== undefined) a["process.parent_pid"] = p.ppid;
  if (p.exe !== undefined) a["process.executable.path"] = p.exe;
  if (p.argv.length > 0) a["process.command_line"] = p.argv.join(" ");
  if (p.uid !== undefined) a["user.id"] = p.uid;
  if (p.user !== undefined) a["user.name"] = p.user;
  if (p.agent !== undefined) a["clawav.agent"] = p.agent;
  return a;
}

function targetAttributes(e: Event): AnyValueMap {
  const a: AnyValueMap = {};
  if (e.file) a["file.path"] = e.file.path;
  if (e.net?.address !== undefined) a["destination.address"] = e.net.address;
  if (e.net?.port !== undefined) a["destination.port"] = e.net.port;
  if (e.net?.host !== undefined) a["server.address"] = e.net.host;
  return a;
}

export function alertRecord(a: Alert, count: number, policyVersion: string) {
  return {
    body: a.summary,
    severity: a.severity,
    ts: a.ts,
    name: "clawav.alert",
    attributes: {
      "clawav.event_id": a.event_id,
      "clawav.rule": a.rule,
      "clawav.category": a.category,
      "clawav.engine": a.engine,
      "clawav.action": a.action,
      "clawav.count": count,
      ...(a.mitre && a.mitre.length > 0 ? { "clawav.mitre": [...a.mitre] } : {}),
      node_id: a.node_id,
      policy_version: policyVersion,
      "clawav.event_kind": a.event.kind,
      "clawav.source": a.event.source,
      ...processAttributes(a.event),
      ...targetAttributes(a.event),
    } satisfies AnyValueMap,
  };
}

export function eventRecord(e: Event, policyVersion: string) {
  return {
    body: `${e.kind} ${e.process?.exe ?? ""}`.trim(),
    severity: undefined,
    ts: e.ts,
    name: "clawav.event",
    attributes: {
      "clawav.event_id": e.id,
      "clawav.event_kind": e.kind,
      "clawav.source": e.source,
      node_id: e.node_id,
      policy_version: policyVersion,
      ...(e.syscall?.name !== undefined ? { "clawav.syscall": e.syscall.name } : {}),
      ...processAttributes(e),
      ...targetAttributes(e),
    } satisfies AnyValueMap,
  };
}
