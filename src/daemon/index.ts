export { Daemon, type DaemonOptions, type DaemonStatus } from "./daemon.js";
export { buildPipeline, type BuildOptions, type Built, type FactsFrom } from "./build.js";
export { SOURCES, SINKS, ROUTES, type SourceEntry, type SinkEntry, type RouteEntry } from "./registry.js";
export { sensorAlerts, sensorEvent } from "./sensor-alerts.js";
export { ensureStateDir } from "./state-dir.js";
export { machineIssues, changedSections, LIVE_SECTIONS } from "./config-check.js";
export { lockStateDir, ALREADY_RUNNING } from "./lock.js";
