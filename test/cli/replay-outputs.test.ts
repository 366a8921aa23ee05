// clawav replay --telemetry / --outputs: a recorded attack session replayed to a loopback
// collector gives the same alerts on stdout and in the stream, every record stamped with the node
// id given, and the summary says what was sent and what it cost.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/system.js";
import { TelemetryReceiver } from "../helpers/telemetry-receiver.js";

const FIXTURE = join(process.cwd(), "test", "fixtures", "audit", "session-attacks.log");

describe("clawav replay --telemetry", () => {
  const rx = new TelemetryReceiver();
  beforeAll(() => rx.startHttp());
  afterAll(() => rx.stop());

  it("streams the replay's events and alerts, and says so", async () => {
    const r = await runCli(["replay", FIXTURE, "--telemetry", "json", "--telemetry-endpoint", `http://127.0.0.1:${rx.httpPort}/x`, "--node-id", "replayed-host"]);
    expect(r.code).toBe(0);
    const printed = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { event_id: string; rule: string });
    const alerts = rx.lines.filter((l) => l.type === "alert");
    expect(alerts.map((a) => `${String(a.event_id)} ${String(a.rule)}`)).toEqual(printed.map((a) => `${a.event_id} ${a.rule}`));
    expect(rx.lines.filter((l) => l.type === "event").length).toBeGreaterThan(100);
    expect(rx.lines.every((l) => l.node_id === "replayed-host" && l.policy_version === "builtin")).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`output telemetry: .*sent ${rx.lines.length}, .*dropped 0`));
    expect(r.stderr).toMatch(/cost: cpu [\d.]+ s, peak rss \d+ MB/);
  });

  it("refuses a format it does not know, and a stream with no endpoint, in one line", async () => {
    const a = await runCli(["replay", FIXTURE, "--telemetry", "xml"]);
    expect(a.code).toBe(64);
    expect(a.stderr).toBe('clawav: --telemetry: "xml" is not json or grpc\n');
    const b = await runCli(["replay", FIXTURE, "--telemetry", "grpc"]);
    expect(b.code).toBe(64);
    expect(b.stderr).toMatch(/^clawav: --telemetry grpc needs an endpoint/);
  });
});

describe("clawav run's remote flags", () => {
  it("refuses --policy-url without the bundles' public key, and --telemetry json to a non-URL, before anything starts", async () => {
    const a = await runCli(["run", "--policy-url", "https://policy.example/b.json", "--state-dir", "/nonexistent/clawav-state"]);
    expect(a.code).toBe(65);
    expect(a.stderr).toBe("clawav: --policy-url needs the bundles' Ed25519 public key: set [policy] public_key_file in the config\n");
    const b = await runCli(["run", "--telemetry", "json", "--telemetry-endpoint", "127.0.0.1:9000", "--state-dir", "/nonexistent/clawav-state"]);
    expect(b.code).toBe(64);
    expect(b.stderr).toMatch(/^clawav: --telemetry-endpoint: "127\.0\.0\.1:9000" is not an http:\/\/ or https:\/\/ URL/);
  });
});
