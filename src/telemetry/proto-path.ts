import { join } from "node:path";
import { PACKAGE_ROOT } from "../version.js";

/** clawav's telemetry service (seed 003's gRPC stream), shipped in the package for collectors. */
export const TELEMETRY_PROTO = join(PACKAGE_ROOT, "proto", "clawav", "telemetry", "v1", "telemetry.proto");
