// Seed 003's telemetry stream against loopback collectors: NDJSON over HTTP and the gRPC service
// of the repository's proto file; each record carries node_id and policy_version; a collector
// that is down loses nothing.
import { afterEach, describe, expect, it } from "vitest";
import type { Alert, Event, Notice } from "../../src/events/index.js";
import { TelemetryStream, type TelemetryOptions } from "../../src/telemetry/stream.js";
import { TelemetryReceiver } from "../helpers/telemetry-receiver.js";
import { waitFor } from "../helpers/system.js";

function event(n: number): Event {
  return { id: n.toString(16).padStart(16, "0"), ts: 1_765_000_000_000 + n, source: "auditd", kind: "exec", node_id: "node-b", fidelity: "kernel", process: { pid: 100 + n, uid: 1001, auid: 1001, exe: "/usr/bin/base64", argv: ["base64", "-d"] } };
}

function notice(e: Event, fresh = true): Notice {
  const alert: Alert = { event_id: e.id, ts: e.ts, severity: "critical", category: "EXECUTION", rule: "code.decode-exec", engine: "behavior", summary: "decoded into a shell", action: "alert", node_id: "node-b", policy_version: "builtin", mitre: ["T1140"], event: e };
  return { alert, entry: { key: "k", alert, count: 3, first_ts: e.ts, last_ts: e.ts, last_event_id: e.id }, fresh, push: [] };
}

let version = "7.1";
const options = (over: Partial<TelemetryOptions>): TelemetryOptions => ({ format: "json", endpoint: "http://127.0.0.1:1/", events: true, repeats: false, headers: {}, nodeId: "node-b", policyVersion: () => version, queueSize: 1000, batchSize: 50, flushIntervalMs: 50, timeoutMs: 2000, ...over });

describe("telemetry stream (seed 003)", () => {
  const rx = new TelemetryReceiver();
  let sink: TelemetryStream | undefined;
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    await rx.stop();
    rx.lines.length = 0;
    rx.grpcBatches.length = 0;
  });

  it("json: events and alerts as NDJSON lines, each stamped with node_id and the policy version in force", async () => {
    await rx.startHttp();
    sink = new TelemetryStream(options({ endpoint: `http://127.0.0.1:${rx.httpPort}/ingest`, headers: { authorization: "Bearer t0k" } }));
    const e = event(1);
    sink.observe(e);
    sink.accept(notice(e));
    version = "7.2";
    sink.observe(event(2));
    await waitFor("three lines", () => (rx.lines.length >= 3 ? true : undefined), 10_000, 20);
    expect(rx.contentTypes[0]).toBe("application/x-ndjson");
    expect(rx.lines[0]).toMatchObject({ type: "event", id: "0000000000000001", node_id: "node-b", policy_version: "7.1", kind: "exec", process: { exe: "/usr/bin/base64" } });
    expect(rx.lines[1]).toMatchObject({ type: "alert", event_id: "0000000000000001", node_id: "node-b", policy_version: "7.1", rule: "code.decode-exec", count: 3, mitre: ["T1140"], event: { id: "0000000000000001" } });
    expect(rx.lines[2]).toMatchObject({ type: "event", policy_version: "7.2" });
    version = "7.1";
  });

  it("json: alerts only when events = false; a folded repeat only with repeats", async () => {
    await rx.startHttp();
    sink = new TelemetryStream(options({ endpoint: `http://127.0.0.1:${rx.httpPort}/`, events: false }));
    sink.observe(event(1));
    sink.accept(notice(event(1)));
    sink.accept(notice(event(2), false));
    await waitFor("the alert", () => (rx.lines.length >= 1 ? true : undefined), 10_000, 20);
    await sink.close();
    expect(rx.lines.map((l) => l.type)).toEqual(["alert"]);
  });

  it("grpc: records through the repository's proto, typed fields and the whole JSON", async () => {
    await rx.startGrpc();
    sink = new TelemetryStream(options({ format: "grpc", endpoint: `127.0.0.1:${rx.grpcPort}` }));
    const e = event(5);
    sink.observe(e);
    sink.accept(notice(e));
    await waitFor("two records", () => (rx.grpcRecords.length >= 2 ? true : undefined), 10_000, 20);
    const [ev, al] = rx.grpcRecords;
    expect(rx.grpcBatches[0]).toMatchObject({ node_id: "node-b", clawav_version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown });
    expect(ev).toMatchObject({ type: "event", event_id: "0000000000000005", ts_ms: 1_765_000_000_005, node_id: "node-b", policy_version: "7.1", kind: "exec", severity: "" });
    expect(al).toMatchObject({ type: "alert", event_id: "0000000000000005", severity: "critical", rule: "code.decode-exec", category: "EXECUTION", mitre: ["T1140"] });
    expect(JSON.parse(al!.json)).toMatchObject({ type: "alert", summary: "decoded into a shell", event: { process: { pid: 105 } } });
    await waitFor("the acknowledgement", () => (sink!.status().sent === 2 ? true : undefined), 10_000, 20);
  });

  it("grpc: a collector that is down, then up, gets every record in order", async () => {
    await rx.startGrpc();
    const port = rx.grpcPort;
    await rx.stop();
    sink = new TelemetryStream(options({ format: "grpc", endpoint: `127.0.0.1:${port}`, batchSize: 4 }));
    for (let i = 1; i <= 10; i++) sink.observe(event(i));
    await waitFor("a failed try", () => (Number(sink!.status().failures) > 0 ? true : undefined), 10_000, 20);
    await rx.startGrpc(port);
    await waitFor("all ten", () => (rx.grpcRecords.length >= 10 ? true : undefined), 20_000, 50);
    expect(rx.grpcRecords.map((r) => r.event_id)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1).toString(16).padStart(16, "0")));
    await waitFor("the acknowledgements", () => (sink!.status().sent === 10 ? true : undefined), 10_000, 20);
    expect(sink.status()).toMatchObject({ dropped: 0, queued: 0 });
  });
});
