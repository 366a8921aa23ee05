// The eBPF syscall sensor against auditd, in one run on the same machine: exec → alert latency
// (an exec of the test user raising an alert, to its webhook receipt on 127.0.0.1) through a
// daemon that has auditd only, then through one that has the eBPF sensor beside it (a call both
// see is judged once, by whichever copy comes first); the exec events per second each source
// delivered in a burst; and the CPU the bpftrace child and the daemon take while the test user
// runs 1,000 execs a second. Needs root, auditd and bpftrace.
// Run: npm run bench -- sensors
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { table } from "./timing.js";

const CLI = join(process.cwd(), "dist", "cli", "clawav.js");
const USER = "clawavtest";
const N = Number(process.env.BENCH_EXECS ?? 100);
const BURST = Number(process.env.BENCH_BURST ?? 4000);
const CPU_S = Number(process.env.BENCH_CPU_S ?? 10);
const BPFTRACE = "/usr/bin/bpftrace";

if (process.getuid?.() !== 0 || spawnSync("auditctl", ["-s"], { stdio: "ignore" }).status !== 0 || spawnSync(BPFTRACE, ["--version"], { stdio: "ignore" }).status !== 0) {
  console.log("sensors: skipped (needs root, the audit subsystem and bpftrace)");
  process.exit(0);
}
if (spawnSync("pidof", ["auditd"], { stdio: "ignore" }).status !== 0) spawnSync("auditd", [], { stdio: "ignore" });
if (spawnSync("getent", ["passwd", USER], { stdio: "ignore" }).status !== 0) spawnSync("useradd", ["--create-home", USER]);
const pw = spawnSync("getent", ["passwd", USER], { encoding: "utf8" }).stdout.split(":");
const uid = Number(pw[2]), gid = Number(pw[3]);
const dir = mkdtempSync(join(tmpdir(), "clawav-bench-sensors-"));
const TICK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

interface Receiver { server: Server; port: number; got: Map<string, number> }

function receiver(): Promise<Receiver> {
  const got = new Map<string, number>();
  const server = createServer((req, res) => {
    let b = "";
    req.on("data", (c: Buffer) => (b += c.toString()));
    req.on("end", () => {
      const at = Date.now();
      for (const m of b.matchAll(/clawav-bench-lat-(\d+)/g)) if (!got.has(m[1]!)) got.set(m[1]!, at);
      res.end("ok");
    });
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r({ server, port: (server.address() as { port: number }).port, got })));
}

interface Daemon { child: ChildProcess; port: number; token: string }

async function daemon(name: string, syscalls: boolean, hookPort: number): Promise<Daemon> {
  const stateDir = join(dir, `state-${name}`);
  const cfg = join(dir, `${name}.toml`);
  writeFileSync(cfg, `[network]\ndns_servers = ["127.0.0.1:1"]\n\n[ebpf]\ndns_answers = false\nsyscalls = ${syscalls}\n\n[enforce]\nauto_quarantine = false\n`);
  const child = spawn(process.execPath, [CLI, "run", "--headless", "--state-dir", stateDir, "--api-port", "0", "--config", cfg, "--alert-enabled", "--alert-webhook-url", `http://127.0.0.1:${hookPort}/hook`, "--alert-min-severity", "info", "--alert-dedupe-window", "0.001", "--alert-rate-limit", "100000"], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
      const m = /"msg":"api listening".*?"port":(\d+)/.exec(err);
      if (m && err.includes('"clawav running"')) resolve(Number(m[1]));
    });
    child.on("exit", () => reject(new Error(`daemon exited: ${err.slice(-500)}`)));
  });
  const d = { child, port, token: readFileSync(join(stateDir, "api-token"), "utf8").trim() };
  if (syscalls) {
    // bpftrace compiles and attaches after the daemon says it runs.
    for (let i = 0; i < 300 && (await status(d)).sources.find((s) => s.name === "ebpf")?.state !== "running"; i++) await sleep(100);
  }
  return d;
}

interface Status { sources: { name: string; state: string; events: number; drops: number }[]; pipeline: { cross_source: { repeats: number } } }
const status = async (d: Daemon): Promise<Status> => (await (await fetch(`http://127.0.0.1:${d.port}/api/status`, { headers: { Authorization: `Bearer ${d.token}` } })).json()) as Status;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number | string => xs.length === 0 ? "-" : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function stop(d: Daemon): Promise<void> {
  d.child.kill("SIGTERM");
  await new Promise((r) => d.child.on("exit", r));
}

/** Exec → webhook receipt for N execs of `id` (recon.basic, info) by the test user, 10 a second. */
async function latency(d: Daemon, rx: Receiver, base: number): Promise<{ ms: number[]; by: Record<string, number> }> {
  const ms: number[] = [];
  for (let i = base; i < base + N; i++) {
    const t0 = Date.now();
    spawn("/usr/bin/id", ["-u", `clawav-bench-lat-${i}`], { uid, gid, stdio: "ignore" });
    for (let w = 0; w < 400 && !rx.got.has(String(i)); w++) await sleep(5);
    // From the spawn, the same start for both paths (auditd dates its records with the kernel's
    // coarse clock, a tick behind, so the events' own times would flatter neither fairly).
    const at = rx.got.get(String(i));
    if (at !== undefined) ms.push(at - t0);
    await sleep(Math.max(0, 100 - (Date.now() - t0)));
  }
  // Which copy raised each alert (the webhook payload does not say; the API's alerts do).
  const r = await fetch(`http://127.0.0.1:${d.port}/api/alerts?limit=1000`, { headers: { Authorization: `Bearer ${d.token}` } });
  const alerts = ((await r.json()) as { alerts: { event: { source: string; process?: { argv?: string[] } } }[] }).alerts;
  const by: Record<string, number> = {};
  for (const a of alerts) {
    const m = /^clawav-bench-lat-(\d+)$/.exec(a.event.process?.argv?.[2] ?? "");
    if (m && Number(m[1]) >= base && Number(m[1]) < base + N) by[a.event.source] = (by[a.event.source] ?? 0) + 1;
  }
  return { ms, by };
}

/** Runs n execs of /bin/true as the test user across `workers` shells, paced to `perSecond` if given. */
function execs(n: number, workers: number, perSecond?: number): Promise<number> {
  const per = Math.ceil(n / workers);
  const t0 = Date.now();
  const step = perSecond === undefined ? per : Math.ceil(perSecond / workers / 10);
  // Paced in tenths of a second: each worker runs its share, then sleeps to the next tenth.
  const body = perSecond === undefined
    ? `i=0; while [ $i -lt ${per} ]; do /bin/true clawav-sensors; i=$((i+1)); done`
    : `s=0; while [ $s -lt ${Math.ceil(per / step)} ]; do t=$(date +%s%N); i=0; while [ $i -lt ${step} ]; do /bin/true clawav-sensors; i=$((i+1)); done; e=$(( (100000000 - ($(date +%s%N) - t)) / 1000000 )); [ $e -gt 0 ] && sleep 0.$(printf %03d $e); s=$((s+1)); done`;
  const kids = Array.from({ length: workers }, () => spawn("/bin/bash", ["-c", body], { uid, gid, cwd: "/tmp", stdio: "ignore" }));
  return Promise.all(kids.map((k) => new Promise((r) => k.on("exit", r)))).then(() => (Date.now() - t0) / 1000);
}

/** CPU seconds (user + system) a process has used. */
function cpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / TICK;
}

function bpftraceChild(parent: number): number | undefined {
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const st = readFileSync(`/proc/${p}/stat`, "utf8");
      const rest = st.slice(st.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) === parent && st.includes("(bpftrace)")) return Number(p);
    } catch { /* gone */ }
  }
  return undefined;
}

const rx = await receiver();

// 1. auditd alone.
const a = await daemon("auditd", false, rx.port);
console.log(`sensors: ${N} execs through auditd alone...`);
const viaAuditd = await latency(a, rx, 0);
await stop(a);

// 2. eBPF beside auditd: latency, then a burst, then the paced CPU run.
const b = await daemon("ebpf", true, rx.port);
console.log(`sensors: ${N} execs through eBPF beside auditd...`);
const viaEbpf = await latency(b, rx, N);
console.log(`sensors: a burst of ${BURST} execs...`);
const count = (s: Status, n: string) => s.sources.find((x) => x.name === n) ?? { events: 0, drops: 0 };
const s0 = await status(b);
const t0 = Date.now();
const burstS = await execs(BURST, 4);
// Each source's rate: what it delivered until it went quiet (under 20 events in 500 ms; the
// machine's own execs go on), over that time.
const last: Record<string, { events: number; at: number }> = {};
let prev = s0;
for (let i = 0; i < 240; i++) {
  await sleep(500);
  const s = await status(b);
  for (const n of ["auditd", "ebpf"]) if (last[n] === undefined && count(s, n).events - count(prev, n).events < 20) last[n] = { events: count(prev, n).events, at: Date.now() - 500 };
  prev = s;
  if (Object.keys(last).length === 2) break;
}
const s1 = await status(b);
const rate = (n: string) => {
  const ev = (last[n]?.events ?? count(s1, n).events) - count(s0, n).events;
  const secs = ((last[n]?.at ?? Date.now()) - t0) / 1000;
  return [n, ev, secs.toFixed(1), (ev / secs).toFixed(0), count(s1, n).drops - count(s0, n).drops];
};
const bt = bpftraceChild(b.child.pid!);
console.log(`sensors: 1,000 execs/s for ${CPU_S} s...`);
const c0 = { bt: bt ? cpu(bt) : 0, d: cpu(b.child.pid!) };
const paced = await execs(1000 * CPU_S, 4, 1000);
const c1 = { bt: bt ? cpu(bt) : 0, d: cpu(b.child.pid!) };
const s2 = await status(b);
await stop(b);
rx.server.close();
rmSync(dir, { recursive: true, force: true });

console.log(`\nexec → alert (id -u by the test user, recon.basic: from the spawn of the process to the alert's webhook receipt on 127.0.0.1), ${N} each, in one run`);
console.log(table([
  ["path", "alerts", "p50 ms", "p99 ms", "raised from", "ratio p50 to auditd"],
  ["auditd alone", `${viaAuditd.ms.length}/${N}`, pct(viaAuditd.ms, 0.5), pct(viaAuditd.ms, 0.99), JSON.stringify(viaAuditd.by), "1.00"],
  ["eBPF beside auditd", `${viaEbpf.ms.length}/${N}`, pct(viaEbpf.ms, 0.5), pct(viaEbpf.ms, 0.99), JSON.stringify(viaEbpf.by), (Number(pct(viaEbpf.ms, 0.5)) / Number(pct(viaAuditd.ms, 0.5))).toFixed(2)],
]));
console.log(`\nevents each source delivered from a burst of ${BURST} execs of /bin/true (run in ${burstS.toFixed(1)} s by 4 shells; the machine's other execs count too)`);
console.log(table([["source", "events (all kinds)", "delivered in s", "events/s", "drops"], rate("auditd"), rate("ebpf")]));
const wall = paced;
console.log(`\nCPU at 1,000 execs/s (${1000 * CPU_S} execs in ${wall.toFixed(1)} s: ${(1000 * CPU_S / wall).toFixed(0)}/s reached)`);
console.log(table([
  ["process", "CPU s", "CPU % of one core"],
  ["bpftrace (the eBPF sensor's program)", bt ? (c1.bt - c0.bt).toFixed(2) : "not found", bt ? ((100 * (c1.bt - c0.bt)) / wall).toFixed(1) : "-"],
  ["clawav daemon (both sources, judging)", (c1.d - c0.d).toFixed(2), ((100 * (c1.d - c0.d)) / wall).toFixed(1)],
]));
console.log(`calls judged once (the other copy a repeat): ${s2.pipeline.cross_source.repeats}`);
