export { Daemon, buildPipeline, stateFile, type DaemonOptions, type DaemonStatus } from "./daemon.js";
export { Aggregator, dedupeKey, type AggregatorOptions, type AggregatorStatus } from "./aggregator.js";
export { Pipeline, type PipelineStages, type PipelineStats, type Mitigator, type EvidenceRecorder, type AlertGate } from "./pipeline.js";
export { BoundedQueue } from "./queue.js";
export type { Engine, AlertSink } from "./types.js";
