// Fleet: what one host sends and what the collector takes, measured on this machine.
//
// 1. Per host, each corpus through `clawav replay --telemetry json` (seed 003's NDJSON stream) and
//    through the OTLP/HTTP exporter ([otel], protobuf), alerts only and with every event: records
//    and bytes on the wire, scaled to an hour of the corpus's own recorded time.
//      busy:    ../shared/corpora/c1-base.log.gz, a real audit log of an agent-like workload at full tilt;
//      attack:  test/fixtures/audit/session-attacks.log, a real recorded attack session.
// 2. The simulation: BENCH_HOSTS (200) clawav instances in replay mode, each a host with its own
//    node id, BENCH_PAR at a time, streaming to one collector on loopback; every host must deliver
//    the same records, none dropped; the collector's CPU per record is measured.
// Nothing is asserted; docs/scale.md explains the figures. Run: npm run bench -- fleet
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { table } from "./timing.js";

const root = process.cwd();
const CLI = join(root, "dist", "cli", "clawav.js");
const HOSTS = Number(process.env.BENCH_HOSTS ?? 200);
const PAR = Number(process.env.BENCH_PAR ?? Math.max(2, cpus().length));
/** Lines of the typical corpus each simulated host replays (its first seconds). */
const SIM_LINES = Number(process.env.BENCH_SIM_LINES ?? 12_000);

const dir = mkdtempSync(join(tmpdir(), "clawav-bench-fleet-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

const c1 = join(root, "..", "shared", "corpora", "c1-base.log.gz");
if (!existsSync(c1)) {
  console.log(`fleet: skipped (${c1} is not here)`);
  process.exit(0);
}
const typical = join(dir, "typical.log");
const c1Text = gunzipSync(readFileSync(c1)).toString("utf8");
writeFileSync(typical, c1Text);
const attack = join(root, "test", "fixtures", "audit", "session-attacks.log");
const simCorpus = join(dir, "sim.log");
writeFileSync(simCorpus, c1Text.split("\n").slice(0, SIM_LINES).join("\n") + "\n");

/** Seconds from the first record to the last: the corpus's own recorded time. */
function spanSeconds(file: string): number {
  const ts = [...readFileSync(file, "utf8").matchAll(/msg=audit\((\d+\.\d+):/g)].map((m) => Number(m[1]));
  return Math.max(1, Math.max(...ts) - Math.min(...ts));
}

interface Take {
  requests: number;
  bytes: number;
  lines: number;
  byNode: Map<string, { bytes: number; lines: number }>;
}

/** One collector: counts what each host sends (NDJSON: lines; OTLP: bytes), and its own CPU. */
async function collector(): Promise<{ server: Server; port: number; take: Take }> {
  const take: Take = { requests: 0, bytes: 0, lines: 0, byNode: new Map() };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const body = Buffer.concat(parts);
      take.requests++;
      take.bytes += body.length;
      let node = String(req.headers["x-node"] ?? "?");
      let lines = 0;
      if (req.url === "/ndjson") {
        for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) lines++;
        const first = body.subarray(0, body.indexOf(10)).toString("utf8");
        node = (JSON.parse(first) as { node_id: string }).node_id;
      }
      take.lines += lines;
      const n = take.byNode.get(node) ?? { bytes: 0, lines: 0 };
      n.bytes += body.length;
      n.lines += lines;
      take.byNode.set(node, n);
      res.writeHead(req.url === "/ndjson" ? 204 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as AddressInfo).port, take };
}

interface Replayed {
  cpu: number;
  rss: number;
  sent: number;
  dropped: number;
  alerts: number;
  events: number;
}

function replay(file: string, config: string, node: string): Promise<Replayed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "replay", file, "--config", config, "--node-id", node, "--outputs"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const cost = /cost: cpu ([\d.]+) s, peak rss (\d+) MB/.exec(err);
      const out = /output (?:telemetry|otel): .*?sent (\d+).*?dropped (\d+)/.exec(err);
      const sum = /(\d+) events \(.*?\), (\d+) alerts/.exec(err);
      if (code !== 0 || !cost || !out || !sum) return reject(new Error(`replay ${node} exited ${code}: ${err.slice(-600)}`));
      resolve({ cpu: Number(cost[1]), rss: Number(cost[2]), sent: Number(out[1]), dropped: Number(out[2]), events: Number(sum[1]), alerts: Number(sum[2]) });
    });
  });
}

function configFor(kind: "ndjson" | "otlp", events: boolean, port: number): string {
  const f = join(dir, `${kind}-${events ? "events" : "alerts"}.toml`);
  const text =
    kind === "ndjson"
      ? `[telemetry]\nformat = "json"\nendpoint = "http://127.0.0.1:${port}/ndjson"\nevents = ${events}\nqueue_size = 10000000\nbatch_size = 2000\n`
      : `[otel]\nenabled = true\nprotocol = "http"\nendpoint = "http://127.0.0.1:${port}"\nevents = ${events}\nmetrics = false\nqueue_size = 10000000\nbatch_size = 2000\n`;
  writeFileSync(f, text + `\n[network]\ndns_servers = ["127.0.0.1:1"]\n`);
  return f;
}

const mb = (b: number) => (b / 1e6).toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

// 1. One host, each corpus, each way of sending.
const perHost: (string | number)[][] = [["corpus (recorded s)", "output", "events", "alerts", "records sent", "MB sent", "B/record", "MB per host-hour", "records per host-hour"]];
for (const [name, file] of [["busy", typical], ["attack", attack]] as const) {
  const span = spanSeconds(file);
  for (const kind of ["ndjson", "otlp"] as const) {
    for (const events of [false, true]) {
      const c = await collector();
      const r = await replay(file, configFor(kind, events, c.port), `host-${name}`);
      c.server.close();
      const perHour = 3600 / span;
      perHost.push([`${name} (${span.toFixed(1)})`, `${kind} ${events ? "events+alerts" : "alerts"}`, r.events, r.alerts, r.sent, mb(c.take.bytes), Math.round(c.take.bytes / Math.max(1, r.sent)), mb(c.take.bytes * perHour), Math.round(r.sent * perHour)]);
    }
  }
}
console.log("One host: what it sends, scaled to an hour at the corpus's own rate");
console.log(table(perHost));

// 2. The simulation: HOSTS instances, one collector.
const c = await collector();
const cfg = configFor("ndjson", true, c.port);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const results: Replayed[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(PAR, HOSTS) }, async () => {
    for (let i = next++; i < HOSTS; i = next++) {
      results.push(await replay(simCorpus, cfg, `host-${String(i).padStart(4, "0")}`));
      if (results.length % 20 === 0) process.stderr.write(`fleet: ${results.length}/${HOSTS} hosts replayed\n`);
    }
  }),
);
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
c.server.close();
const counts = [...c.take.byNode.values()].map((n) => n.lines);
const same = c.take.byNode.size === HOSTS && counts.every((n) => n === counts[0]);
const collectorCpu = (cpu.user + cpu.system) / 1e6;
const span = spanSeconds(simCorpus);
console.log(`\nSimulation: ${HOSTS} clawav instances (replay of ${SIM_LINES} lines, ${span.toFixed(1)} s of recorded time each), ${PAR} at a time, one NDJSON collector on 127.0.0.1`);
console.log(
  table([
    ["measure", "value"],
    ["hosts that delivered", `${c.take.byNode.size} of ${HOSTS}`],
    ["records per host (all equal)", `${counts[0] ?? 0} (${same ? "yes" : "NO"})`],
    ["records dropped, all hosts", results.reduce((n, r) => n + r.dropped, 0)],
    ["records taken by the collector", c.take.lines],
    ["MB taken by the collector", mb(c.take.bytes)],
    ["requests", c.take.requests],
    ["wall s", wall.toFixed(1)],
    ["collector records/s over the run", Math.round(c.take.lines / wall)],
    ["collector CPU s (counting, in this process)", collectorCpu.toFixed(2)],
    ["collector CPU us per record", ((collectorCpu * 1e6) / Math.max(1, c.take.lines)).toFixed(2)],
    ["clawav CPU s per host (median)", median(results.map((r) => r.cpu)).toFixed(2)],
    ["clawav peak RSS MB per host (median)", median(results.map((r) => r.rss))],
    ["MB per host (median)", mb(median([...c.take.byNode.values()].map((n) => n.bytes)))],
  ]),
);
