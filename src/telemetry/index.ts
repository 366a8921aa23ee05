export { SiemSink, type SiemOptions } from "./siem.js";
export { cef, cutUtf8, DEFAULT_FACILITY, escapeCefHeader, escapeCefValue, escapeParamValue, frame, headerField, rfc5424, SD_ID, structuredData, type Rfc5424Options } from "./syslog.js";
export { BatchQueue, type BatchQueueOptions, type BatchQueueCounts } from "./batch-queue.js";
export { OtelExport, alertRecord, eventRecord, type OtelOptions } from "./otel.js";
export { TelemetryStream, TELEMETRY_PROTO, alertTelemetry, eventTelemetry, type TelemetryOptions, type TelemetryRecord } from "./stream.js";
