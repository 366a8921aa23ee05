export { SiemSink, type SiemOptions } from "./siem.js";
export { cef, cutUtf8, DEFAULT_FACILITY, escapeCefHeader, escapeCefValue, escapeParamValue, frame, headerField, rfc5424, SD_ID, structuredData, type Rfc5424Options } from "./syslog.js";
export { BatchQueue, type BatchQueueOptions, type BatchQueueCounts } from "./batch-queue.js";
export { TELEMETRY_PROTO } from "./proto-path.js";
import type * as Otel from "./otel.js";
import type * as Stream from "./stream.js";
export type { OtelExport, OtelOptions, MetricsSource } from "./otel.js";
export type { TelemetryStream, TelemetryOptions, TelemetryRecord } from "./stream.js";

// The OpenTelemetry SDK and gRPC cost ~30 MB and ~0.2 s to load: only a daemon that sends to them
// pays for them.
export const loadOtel = (): Promise<typeof Otel> => import("./otel.js");
export const loadStream = (): Promise<typeof Stream> => import("./stream.js");
