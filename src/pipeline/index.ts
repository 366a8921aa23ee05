export { CrossSourceMatcher, callKey, type CrossSourceStats, type CrossSourceVerdict } from "./cross-source.js";
export { Pipeline, type PipelineStages, type PipelineStats } from "./pipeline.js";
export { Aggregator, dedupeKey, type AggregatorOptions, type AggregatorStatus, type ChannelCounts } from "./aggregator.js";
export { BoundedQueue } from "./queue.js";
export { NamingOrder, nameable, MAX_WAIT_MS, type NamingOrderStats, type NamingSource } from "./naming-order.js";
