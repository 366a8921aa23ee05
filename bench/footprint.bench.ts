// Issue 20's table, every row in one run beside its peer:
//   on c1.log (../shared/corpora/c1-base.log.gz replicated ten times with fresh serials), clawav
//   parse-audit and clawav replay beside laurel (wall time, peak RSS);
//   the daemon's RSS after it has been idle a while;
//   the live daemon's CPU while an agent user runs BENCH_RATE (1,000) execs/s for BENCH_LOAD_S s,
//   beside the CPU laurel (auditd's plugin) spends on the same records;
//   the decision p99 with every rule loaded (behaviour, policies, sequences, SigmaHQ's rules),
//   five times over.
// The live rows need root, auditd, and laurel active as its plugin. Run: npm run bench -- footprint
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { defaultConfig } from "../src/config/index.js";
import { createDetector } from "../src/detect/index.js";
import { createExeIdentity, identityEnricher } from "../src/enrich/index.js";
import type { Event } from "../src/events/index.js";
import { fixtureEvents } from "./events-mix.js";
import { measure } from "./latency.js";
import { table } from "./timing.js";

const root = process.cwd();
const CLI = join(root, "dist", "cli", "clawav.js");
const corpora = process.env.CLAWAV_CORPORA ?? join(root, "..", "shared", "corpora");
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const LOAD_S = Number(process.env.BENCH_LOAD_S ?? 30);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 30);
const USER = "clawavtest";
const dir = mkdtempSync(join(tmpdir(), "clawav-bench-footprint-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const has = (c: string) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", c], { stdio: "ignore" }).status === 0;
const rows: (string | number)[][] = [["measure (same run)", "clawav", "peer", "peer value", "clawav / peer", "goal"]];

/** Wall seconds and peak RSS (VmHWM, read until the process is gone) of a command. */
function run(cmd: string, args: string[], stdinFile?: string): Promise<{ wall: number; peakMb: number; ok: boolean }> {
  return new Promise((resolve) => {
    const fd = stdinFile !== undefined ? openSync(stdinFile, "r") : "ignore";
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: [fd, "ignore", "ignore"] });
    let peak = 0;
    const look = () => {
      try {
        peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"))?.[1] ?? 0) / 1024);
      } catch {
        // gone
      }
    };
    const t = setInterval(look, 10);
    p.on("exit", (code) => {
      clearInterval(t);
      if (typeof fd === "number") closeSync(fd);
      resolve({ wall: (performance.now() - t0) / 1000, peakMb: peak, ok: code === 0 || code === 1 });
    });
  });
}

async function best(cmd: string, args: string[], stdinFile?: string, runs = 2): Promise<{ wall: number; peakMb: number; ok: boolean }> {
  let b = { wall: Infinity, peakMb: 0, ok: true };
  for (let i = 0; i < runs; i++) {
    const r = await run(cmd, args, stdinFile);
    if (r.wall < b.wall) b = r;
  }
  return b;
}

// 1. The corpus, and the three tools on it.
const base = join(corpora, "c1-base.log.gz");
if (!existsSync(base) || !has("laurel")) {
  console.log(`footprint: needs ${base} and laurel; nothing measured`);
  process.exit(0);
}
writeFileSync(join(dir, "c1-base.log"), gunzipSync(readFileSync(base)));
const c1 = join(dir, "c1.log");
const rep = spawnSync("python3", [join(corpora, "replicate-audit.py"), join(dir, "c1-base.log"), "10"], { maxBuffer: 1 << 30 });
writeFileSync(c1, rep.stdout);
const laurelCfg = join(dir, "laurel.toml");
writeFileSync(laurelCfg, `directory = "${join(dir, "laurel")}"\nuser = "root"\nstatusreport-period = 0\n[auditlog]\nfile = "audit.log"\nsize = 100000000000\ngenerations = 2\n[transform]\nexecve-argv = [ "array" ]\n[translate]\nuniversal = false\nuser-db = false\n[enrich]\npid = false\ncontainer = false\nscript = false\nexecve-env = []\n`);
console.log(`footprint: c1.log ${(rep.stdout.length / 1e6).toFixed(1)} MB; parse-audit, replay and laurel, best of 2 each...`);
const parse = await best(process.execPath, [CLI, "parse-audit", c1]);
const replay = await best(process.execPath, [CLI, "replay", c1]);
const laurel = await best("laurel", ["-c", laurelCfg], c1);
const ratio = (a: number, b: number) => (a / b).toFixed(2);
rows.push(["parse-audit wall s (every event as JSON)", parse.wall.toFixed(2), "laurel", laurel.wall.toFixed(2), ratio(parse.wall, laurel.wall), "<= 0.70"]);
rows.push(["replay wall s (alerts only on stdout)", replay.wall.toFixed(2), "laurel", laurel.wall.toFixed(2), ratio(replay.wall, laurel.wall), "<= 0.60"]);
rows.push(["replay peak RSS MB", replay.peakMb.toFixed(0), "laurel", laurel.peakMb.toFixed(0), ratio(replay.peakMb, laurel.peakMb), "<= 120 MB"]);
rows.push(["parse-audit peak RSS MB", parse.peakMb.toFixed(0), "laurel", laurel.peakMb.toFixed(0), ratio(parse.peakMb, laurel.peakMb), "<= 100 MB"]);

// 2. The live daemon: idle RSS, then its CPU under load beside laurel's.
const cpuTicks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]);
};
const HZ = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
const laurelPid = Number(spawnSync("pgrep", ["-x", "laurel"], { encoding: "utf8" }).stdout.trim().split("\n")[0]);
const live = process.getuid?.() === 0 && spawnSync("auditctl", ["-s"], { stdio: "ignore" }).status === 0 && laurelPid > 0;
if (!live) {
  rows.push(["daemon idle RSS MB", "-", "", "", "", "<= 70 MB (needs root and auditd)"]);
  rows.push([`daemon CPU at ${RATE} execs/s`, "-", "laurel", "-", "-", "<= laurel's (needs root, auditd, laurel as its plugin)"]);
} else {
  if (spawnSync("getent", ["passwd", USER], { stdio: "ignore" }).status !== 0) spawnSync("useradd", ["--create-home", USER]);
  const pw = spawnSync("getent", ["passwd", USER], { encoding: "utf8" }).stdout.split(":");
  const uid = Number(pw[2]);
  const gid = Number(pw[3]);
  writeFileSync(join(dir, "c.toml"), `[network]\ndns_servers = ["127.0.0.1:1"]\n\n[ebpf]\ndns_answers = false\nsyscalls = false\n\n[scans]\nenabled = false\n\n[admin]\nsocket = "${join(dir, "admin.sock")}"\n`);
  const daemon: ChildProcess = spawn(process.execPath, [CLI, "run", "--headless", "--state-dir", join(dir, "state"), "--api-port", "0", "--config", join(dir, "c.toml")], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    daemon.stderr!.on("data", (b: Buffer) => {
      err += b.toString();
      if (err.includes('"clawav running"')) resolve();
    });
    daemon.on("exit", () => reject(new Error(`daemon exited: ${err.slice(-800)}`)));
  });
  console.log(`footprint: daemon running; idle ${IDLE_S} s...`);
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const idleRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  rows.push(["daemon idle RSS MB", idleRss.toFixed(0), "", "", "", "<= 70 MB"]);
  // The load: the agent user runs /bin/true, paced per second across workers (as bench load does).
  console.log(`footprint: ${RATE} execs/s for ${LOAD_S} s as ${USER}...`);
  const workers = 4;
  const per = Math.ceil(RATE / workers);
  const body = `s=0; while [ $s -lt ${LOAD_S} ]; do t=$(date +%s%N); i=0; while [ $i -lt ${per} ]; do /bin/true clawav-load; i=$((i+1)); done; e=$(( (1000000000 - ($(date +%s%N) - t)) / 1000000 )); [ $e -gt 0 ] && sleep 0.$(printf %03d $e); s=$((s+1)); done`;
  const c0 = cpuTicks(daemon.pid!);
  const l0 = cpuTicks(laurelPid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: workers }, () => new Promise((r) => spawn("/bin/bash", ["-c", body], { uid, gid, cwd: "/tmp", stdio: "ignore" }).on("exit", r))));
  // What was queued is judged before the figures are read.
  await new Promise((r) => setTimeout(r, 3000));
  const wall = (performance.now() - t0) / 1000;
  const clawavCpu = (cpuTicks(daemon.pid!) - c0) / HZ;
  const laurelCpu = (cpuTicks(laurelPid) - l0) / HZ;
  rows.push([`daemon CPU s, ${RATE} execs/s for ${LOAD_S} s (achieved ${((RATE * LOAD_S) / (wall - 3)).toFixed(0)}/s)`, clawavCpu.toFixed(2), "laurel", laurelCpu.toFixed(2), ratio(clawavCpu, laurelCpu), "<= 1.00"]);
  daemon.kill("SIGTERM");
  await new Promise((r) => daemon.on("exit", r));
}

// 3. Decision p99 with every rule, five runs.
const sigmaDir = join(corpora, "sigma-linux", "rules", "linux");
const detector = createDetector({ config: defaultConfig(), resolveHost: () => [], policyDirs: [join(root, "policies")], sigmaDirs: existsSync(sigmaDir) ? [sigmaDir] : [] });
const identity = identityEnricher(createExeIdentity());
const decide = (e: Event): unknown[] => {
  e.process!.identity = undefined;
  identity.enrich(e);
  return detector.evaluate(e);
};
const fx = fixtureEvents(root);
const p99s = Array.from({ length: 5 }, () => Number(measure("fixtures", fx, 100, decide, 20)[5]));
rows.push([`decision p99 µs, every rule (${detector.policyCount} policies and Sigma rules), 5 runs`, p99s.map((x) => x.toFixed(1)).join(" / "), "", "", "", "<= 20, all 5"]);

console.log(table(rows));
