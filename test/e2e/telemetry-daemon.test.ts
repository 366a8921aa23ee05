// The daemon's outputs beyond the host, end to end: a real command of an agent user under the
// real auditd raises an alert, and the same alert (same event id, node id, policy version)
// reaches an OTLP/gRPC collector, seed 003's NDJSON stream and Debian's rsyslog over TLS, while
// OTLP metrics carry the daemon's counts; /api/status shows each sink's counters.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { makeTestCa, type TestCa } from "../helpers/llm-upstream.js";
import { attrs, OtlpReceiver } from "../helpers/otlp-receiver.js";
import { freePort, hasGtls, Rsyslog } from "../helpers/rsyslog.js";
import { auditdUsable, commandExists, runAsUser, waitFor } from "../helpers/system.js";
import { TelemetryReceiver } from "../helpers/telemetry-receiver.js";

describe.skipIf(!auditdUsable() || !commandExists("rsyslogd") || !hasGtls())("telemetry, OpenTelemetry and SIEM from the daemon", () => {
  const otlp = new OtlpReceiver();
  const stream = new TelemetryReceiver();
  let rsyslog: Rsyslog;
  let ca: TestCa;
  let dir: string;
  let d: DaemonUnderTest;

  beforeAll(async () => {
    ca = makeTestCa();
    dir = mkdtempSync(join(tmpdir(), "clawav-telemetry-e2e-"));
    await otlp.startGrpc();
    await stream.startHttp();
    rsyslog = new Rsyslog(dir, await freePort(), ca);
    await rsyslog.start();
    const config = [
      `[general]\npolicy_version = "site-7"\nnode_id = "fleet-node-1"\n`,
      `[otel]\nenabled = true\nprotocol = "grpc"\nendpoint = "127.0.0.1:${otlp.grpcPort}"\nmetrics_interval = 1\nflush_interval_ms = 100\n`,
      `[telemetry]\nformat = "json"\nendpoint = "http://127.0.0.1:${stream.httpPort}/v1/clawav"\nflush_interval_ms = 100\n`,
      `[siem]\nenabled = true\nport = ${rsyslog.port}\ntransport = "tls"\nca_file = "${ca.caFile}"\nformat = "cef"\n`,
    ].join("\n");
    d = DaemonUnderTest.withTempState([], config);
    await d.start();
  }, 60_000);

  afterAll(async () => {
    await d?.stop();
    await otlp.stop();
    await stream.stop();
    await rsyslog?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
  });

  it("one alert, the same everywhere it goes", async () => {
    await runAsUser("bash", ["-c", "echo ZWNobyB0ZWxlbWV0cnkK | base64 -d | sh"]);
    const a = await d.waitAlert("the decode alert", (x) => x.rule === "code.decode-exec");
    // OTLP/gRPC: the alert as a log record, under the host's resource.
    const rec = await waitFor("the OTLP record", () => otlp.logs.find((l) => attrs(l.attributes)["clawav.event_id"] === a.event_id), 15_000, 50);
    expect(rec.resource).toMatchObject({ "service.name": "clawav", node_id: "fleet-node-1", policy_version: "site-7" });
    expect(attrs(rec.attributes)).toMatchObject({ "clawav.rule": "code.decode-exec", node_id: "fleet-node-1", policy_version: "site-7", "clawav.category": a.category });
    expect(rec.severityText).toBe(a.severity);
    // Seed 003's stream: the alert and its event, both stamped.
    const line = await waitFor("the NDJSON alert", () => stream.lines.find((l) => l.type === "alert" && l.event_id === a.event_id), 15_000, 50);
    expect(line).toMatchObject({ node_id: "fleet-node-1", policy_version: "site-7", rule: "code.decode-exec" });
    expect(stream.lines.some((l) => l.type === "event" && l.id === a.event_id && l.policy_version === "site-7")).toBe(true);
    // rsyslog over TLS: the alert as a CEF line.
    const got = await waitFor("the CEF line at rsyslog", () => rsyslog.received().find((r) => r.msg.includes(`externalId=${a.event_id}`)), 15_000, 50);
    expect(got.msg).toMatch(/^CEF:0\|clawav\|clawav\|[^|]+\|code\.decode-exec\|/);
    expect(got.msg).toContain("dvchost=fleet-node-1");
    expect(got.msg).toContain("cs1=site-7");
  });

  it("OTLP metrics carry the daemon's counts, and /api/status the sinks' counters", async () => {
    await waitFor("events in the OTLP metrics", () => ((otlp.latest("clawav_events_total") ?? 0) > 0 ? true : undefined), 15_000, 100);
    await waitFor("the latency histogram", () => (otlp.metrics.some((m) => m.name === "clawav_event_handle_seconds" && Number(m.histogram?.dataPoints[0]?.count ?? 0) > 0) ? true : undefined), 15_000, 100);
    type Status = { sinks: Record<string, Record<string, number | string>> };
    const st = await d.api<Status>("/api/status");
    await waitFor("the stream's answers", async () => {
      const s = (await d.api<Status>("/api/status")).sinks;
      return Number(s.telemetry?.sent) > 0 && Number(s.otel?.sent) > 0 && Number(s.siem?.sent) > 0 ? true : undefined;
    }, 15_000, 100);
    expect(st.sinks.otel).toMatchObject({ protocol: "grpc", dropped: 0 });
    expect(st.sinks.telemetry).toMatchObject({ format: "json", dropped: 0 });
    expect(st.sinks.siem).toMatchObject({ dropped: 0, connected: 1 });
  });
});
