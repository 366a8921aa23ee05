import type { Config } from "../config/index.js";
import { EXIT, UserError } from "../errors/index.js";

type Format = Config["telemetry"]["format"];

/**
 * --telemetry and --telemetry-endpoint over the config (run and replay): the checks the config's
 * own schema makes of the same keys, since flags land after it has parsed.
 */
export function applyTelemetryFlags(config: Config, flags: { telemetry?: string; telemetryEndpoint?: string }, formats: readonly Format[]): void {
  if (flags.telemetry !== undefined) {
    const f = formats.find((x) => x === flags.telemetry);
    if (f === undefined) throw new UserError(`--telemetry: "${flags.telemetry}" is not ${formats.slice(0, -1).join(", ")} or ${formats[formats.length - 1]}`, EXIT.USAGE);
    config.telemetry.format = f;
  }
  if (flags.telemetryEndpoint !== undefined) config.telemetry.endpoint = flags.telemetryEndpoint;
  const t = config.telemetry;
  if (t.format !== "off" && t.endpoint === undefined) throw new UserError(`--telemetry ${t.format} needs an endpoint: --telemetry-endpoint, or [telemetry] endpoint in the config`, EXIT.USAGE);
  if (t.format === "json" && t.endpoint !== undefined && !/^https?:\/\//.test(t.endpoint)) throw new UserError(`--telemetry-endpoint: "${t.endpoint}" is not an http:// or https:// URL (json is posted over HTTP)`, EXIT.USAGE);
}
