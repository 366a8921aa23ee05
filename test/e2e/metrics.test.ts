// /metrics scraped by a real Prometheus (Debian's) with the API's bearer token, and its query
// API asked for what the daemon counted; promtool checks the exposition format itself.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { auditdUsable, commandExists, run, runAsUser, waitFor } from "../helpers/system.js";

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

describe.skipIf(!auditdUsable() || !commandExists("prometheus"))("/metrics, scraped by Prometheus", () => {
  let d: DaemonUnderTest;
  let prom: ChildProcess | undefined;
  let promPort = 0;
  let apiPort = 0;
  let promLog = "";

  beforeAll(async () => {
    d = DaemonUnderTest.withTempState();
    await d.start();
    apiPort = (d.logs.find((l) => l.msg === "api listening") as { port: number }).port;
    // Something to count: an agent decoding a payload into a shell (critical).
    await runAsUser("bash", ["-c", "echo ZWNobyBoaQo= | base64 -d | sh"]);
    await d.waitAlert("the decode alert", (a) => a.rule === "code.decode-exec");
    const dir = mkdtempSync(join(tmpdir(), "clawav-prom-"));
    const cfg = join(dir, "prometheus.yml");
    writeFileSync(cfg, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: clawav\n    authorization:\n      type: Bearer\n      credentials_file: ${join(d.stateDir, "api-token")}\n    static_configs:\n      - targets: ["127.0.0.1:${apiPort}"]\n`);
    promPort = await freePort();
    prom = spawn("prometheus", [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ["ignore", "ignore", "pipe"] });
    prom.stderr!.on("data", (b: Buffer) => (promLog += b.toString()));
  }, 60_000);

  afterAll(async () => {
    prom?.kill("SIGTERM");
    await d?.stop();
  });

  const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return body.status === "success" ? body.data.result : [];
  };

  it("wants the API's token, and its text passes promtool's format check", async () => {
    expect((await fetch(`http://127.0.0.1:${apiPort}/metrics`)).status).toBe(401);
    const token = readFileSync(join(d.stateDir, "api-token"), "utf8").trim();
    const res = await fetch(`http://127.0.0.1:${apiPort}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^clawav_events_total\{node_id="[^"]+"\} [1-9]\d*$/m);
    const check = await run("promtool", ["check", "metrics"], { input: text });
    // promtool lints too: clawav's own metrics pass; only prom-client's default nodejs_active_*_total gauges draw a remark.
    expect(check.stderr + check.stdout).not.toMatch(/text format parsing error/);
    const remarks = (check.stderr + check.stdout).split("\n").filter(Boolean);
    expect(remarks.filter((l) => !l.startsWith("nodejs_active_"))).toEqual([]);
  });

  it("Prometheus scrapes it and its query API returns the daemon's counts", async () => {
    const up = await waitFor("Prometheus to scrape clawav", async () => {
      const r = await query('up{job="clawav"}');
      return r[0]?.value[1] === "1" ? r : undefined;
    }, 30_000, 500).catch((e: Error) => {
      throw new Error(`${e.message}; prometheus said: ${promLog.slice(-2000)}`);
    });
    expect(up).toHaveLength(1);
    const events = await query("clawav_events_total");
    expect(Number(events[0]!.value[1])).toBeGreaterThan(0);
    expect(events[0]!.metric.node_id).toBe(d.alerts[0]!.node_id);
    const critical = await query('clawav_alerts_by_severity_total{severity="critical"}');
    expect(Number(critical[0]!.value[1])).toBeGreaterThanOrEqual(1);
    expect((await query('clawav_source_up{source="auditd"}'))[0]!.value[1]).toBe("1");
    expect(Number((await query("clawav_event_handle_seconds_count"))[0]!.value[1])).toBeGreaterThan(0);
    expect(Number((await query("process_resident_memory_bytes"))[0]!.value[1])).toBeGreaterThan(10 * 1024 * 1024);
    expect(Number((await query("clawav_chain_entries"))[0]!.value[1])).toBeGreaterThanOrEqual(1);
    // Mitigations by outcome: each outcome is a series from the start (monitor mode: all zero but would_*).
    expect((await query("clawav_mitigations_total")).map((r) => r.metric.outcome).sort()).toEqual(["kills_failed", "kills_ok", "quarantine_failed", "would_kill", "would_quarantine"]);
  });
});
