// Load: a burst of 6,000 agent execs, then a soak at 500 execs/s (10 minutes unless
// BENCH_SOAK_S says otherwise), through the live daemon and the real auditd. Reports what was
// lost (the kernel's `lost`, the event queue's drops: each must be zero or alerted), the daemon's
// peak RSS (goal <= 150 MB), how long a detection made right after the burst takes to reach
// /api/alerts, and the rate the machine sustained. Needs root and auditd.
// Run: npm run bench -- load
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { table } from "./timing.js";

const CLI = join(process.cwd(), "dist", "cli", "clawav.js");
const USER = "clawavtest";
const BURST = Number(process.env.BENCH_BURST ?? 6000);
const SOAK_S = Number(process.env.BENCH_SOAK_S ?? 600);
const RATE = Number(process.env.BENCH_RATE ?? 500);

if (process.getuid?.() !== 0 || spawnSync("auditctl", ["-s"], { stdio: "ignore" }).status !== 0) {
  console.log("load: skipped (needs root and the audit subsystem)");
  process.exit(0);
}
if (spawnSync("pidof", ["auditd"], { stdio: "ignore" }).status !== 0) spawnSync("auditd", [], { stdio: "ignore" });
if (spawnSync("getent", ["passwd", USER], { stdio: "ignore" }).status !== 0) spawnSync("useradd", ["--create-home", USER]);
const pw = spawnSync("getent", ["passwd", USER], { encoding: "utf8" }).stdout.split(":");
const uid = Number(pw[2]), gid = Number(pw[3]);

const dir = mkdtempSync(join(tmpdir(), "clawav-bench-load-"));
const stateDir = join(dir, "state");
writeFileSync(join(dir, "c.toml"), `[network]\ndns_servers = ["127.0.0.1:1"]\n\n[ebpf]\ndns_answers = false\nsyscalls = false\n\n[enforce]\nauto_quarantine = false\n`);

async function startDaemon(): Promise<{ child: ChildProcess; port: number; token: string }> {
  // BENCH_NODE_FLAGS (e.g. --max-old-space-size=64) tells heap growth that GC would reclaim from a leak.
  const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...flags, CLI, "run", "--headless", "--state-dir", stateDir, "--api-port", "0", "--config", join(dir, "c.toml")], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
      const m = /"msg":"api listening".*?"port":(\d+)/.exec(err);
      if (m && err.includes('"clawav running"')) resolve(Number(m[1]));
    });
    child.on("exit", (code, sig) => {
      reject(new Error(`daemon exited: ${err.slice(-500)}`));
      // After start too: a daemon that dies under load says why.
      console.error(`load: the daemon exited (${code ?? sig}): ${err.slice(-1500)}`);
    });
  });
  return { child, port, token: readFileSync(join(stateDir, "api-token"), "utf8").trim() };
}

interface Status {
  sources: { name: string; kernel_lost?: number; drops: number; events: number }[];
  queue: { dropped: number; high_water: number };
  pipeline: { events: number; alerts: number; by_kind: Record<string, number> };
}

const d = await startDaemon();
const get = async <T>(path: string): Promise<T> => (await (await fetch(`http://127.0.0.1:${d.port}${path}`, { headers: { Authorization: `Bearer ${d.token}` } })).json()) as T;
const status = () => get<Status>("/api/status");
const rssPeakMb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${d.child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
const lost = (s: Status) => s.sources.find((x) => x.name === "auditd")?.kernel_lost ?? 0;

/** Runs n execs of /bin/true as the agent across `workers` shells; resolves with the wall time. */
function execs(n: number, workers: number, perSecond?: number): Promise<number> {
  const per = Math.ceil(n / workers);
  const t0 = Date.now();
  // Paced: each worker runs its share of each second's execs, then sleeps to the next second.
  const body = perSecond === undefined
    ? `i=0; while [ $i -lt ${per} ]; do /bin/true clawav-load; i=$((i+1)); done`
    : `s=0; while [ $s -lt ${Math.ceil(per / Math.ceil(perSecond / workers))} ]; do t=$(date +%s%N); i=0; while [ $i -lt ${Math.ceil(perSecond / workers)} ]; do /bin/true clawav-load; i=$((i+1)); done; e=$(( (1000000000 - ($(date +%s%N) - t)) / 1000000 )); [ $e -gt 0 ] && sleep 0.$(printf %03d $e); s=$((s+1)); done`;
  const kids = Array.from({ length: workers }, () => spawn("/bin/bash", ["-c", body], { uid, gid, cwd: "/tmp", stdio: "ignore" }));
  return Promise.all(kids.map((k) => new Promise((r) => k.on("exit", r)))).then(() => (Date.now() - t0) / 1000);
}

async function settle(minEvents: number, timeoutS: number): Promise<Status> {
  const end = Date.now() + timeoutS * 1000;
  for (;;) {
    const s = await status();
    if ((s.pipeline.by_kind.exec ?? 0) >= minEvents || Date.now() > end) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const s0 = await status();
const exec0 = s0.pipeline.by_kind.exec ?? 0;

// 1. The burst, then one detection at once.
const burstS = await execs(BURST, 4);
const tDetect = Date.now();
spawnSync("/bin/cat", ["/etc/shadow"], { uid, gid, stdio: "ignore" });
let detectMs = -1;
for (let i = 0; i < 600 && detectMs < 0; i++) {
  const alerts = await get<{ alerts: { rule: string; event: { process?: { argv?: string[] } } }[] }>("/api/alerts?limit=50");
  if (alerts.alerts.some((a) => a.event.process?.argv?.includes("/etc/shadow"))) detectMs = Date.now() - tDetect;
  else await new Promise((r) => setTimeout(r, 100));
}
const s1 = await settle(exec0 + BURST, 120);
const burstSeen = (s1.pipeline.by_kind.exec ?? 0) - exec0;
const burstRss = rssPeakMb();

// 2. The soak.
console.log(`load: burst done (${BURST} execs in ${burstS.toFixed(1)} s); soak at ${RATE}/s for ${SOAK_S} s...`);
const soakTarget = RATE * SOAK_S;
const progress = setInterval(() => {
  void status().then((s) => console.log(`load: soak ${((s.pipeline.by_kind.exec ?? 0) - (s1.pipeline.by_kind.exec ?? 0))} execs judged, RSS peak ${rssPeakMb().toFixed(0)} MB`));
}, 30_000);
const soakS = await execs(soakTarget, 8, RATE);
clearInterval(progress);
const s2 = await settle((s1.pipeline.by_kind.exec ?? 0) + soakTarget, 120);
const soakSeen = (s2.pipeline.by_kind.exec ?? 0) - (s1.pipeline.by_kind.exec ?? 0);
const peak = rssPeakMb();
const alertsNow = await get<{ alerts: { rule: string }[] }>("/api/alerts?limit=500");
const lossAlerts = alertsNow.alerts.filter((a) => a.rule === "sensor-kernel-lost" || a.rule === "sensor-queue-drop").length;

d.child.kill("SIGTERM");
await new Promise((r) => d.child.on("exit", r));
rmSync(dir, { recursive: true, force: true });

console.log(`load, real auditd, the agent's execs of /bin/true (other processes of the machine are judged too)`);
console.log(table([
  ["phase", "execs run", "exec events judged", "wall s", "rate/s", "kernel lost", "queue drops", "peak RSS MB", "goal"],
  ["burst", BURST, burstSeen, burstS.toFixed(1), (BURST / burstS).toFixed(0), lost(s1) - lost(s0), s1.queue.dropped - s0.queue.dropped, burstRss.toFixed(0), "no silent loss, RSS <= 150"],
  [`soak ${SOAK_S} s`, soakTarget, soakSeen, soakS.toFixed(0), (soakTarget / soakS).toFixed(0), lost(s2) - lost(s1), s2.queue.dropped - s1.queue.dropped, peak.toFixed(0), `${RATE}/s, RSS <= 150`],
]));
console.log(`detection right after the burst (cat /etc/shadow) in /api/alerts after ${detectMs < 0 ? "never (60 s)" : `${detectMs} ms`}; loss alerts raised: ${lossAlerts}`);
