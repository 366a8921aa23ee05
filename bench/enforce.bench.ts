// Exec-to-SIGKILL and exec-to-webhook latency through the live daemon and the real auditd, and
// the pipeline's event rate with a fast versus a 2 s receiver. Needs root and auditd.
// Run: npm run bench -- enforce
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { table } from "./timing.js";

const root = process.cwd();
const CLI = join(root, "dist", "cli", "clawav.js");
const USER = "clawavtest";
if (process.getuid?.() !== 0 || spawnSync("auditctl", ["-s"], { stdio: "ignore" }).status !== 0) {
  console.log("enforce: skipped (needs root and the audit subsystem)");
  process.exit(0);
}
// The daemon reads auditd's log: without auditd running no event arrives and every child below
// would sleep its full 30 s. Start it as the test set-up does.
if (spawnSync("pidof", ["auditd"], { stdio: "ignore" }).status !== 0) {
  const r = spawnSync("auditd", [], { encoding: "utf8" });
  if (r.status !== 0) { console.error(`enforce: starting auditd failed: ${r.stderr}`); process.exit(1); }
  for (let i = 0; i < 50 && spawnSync("pidof", ["auditd"], { stdio: "ignore" }).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
}
if (spawnSync("getent", ["passwd", USER], { stdio: "ignore" }).status !== 0) spawnSync("useradd", ["--create-home", USER]);
const pw = spawnSync("getent", ["passwd", USER], { encoding: "utf8" }).stdout.split(":");
const uid = Number(pw[2]), gid = Number(pw[3]);
const dir = mkdtempSync(join(tmpdir(), "clawav-bench-enf-"));
writeFileSync(join(dir, "kill.yaml"), `rules:\n  - name: bench-kill\n    match:\n      command_contains: ["clawav-bench-kill"]\n    action: info\n    enforcement: kill\n`);

function receiver(delayMs: number): Promise<{ server: Server; port: number; got: Map<string, number> }> {
  const got = new Map<string, number>();
  const server = createServer((req, res) => {
    let b = "";
    req.on("data", (c: Buffer) => (b += c.toString()));
    req.on("end", () => {
      const m = /clawav-bench-kill-(\d+)/.exec(b);
      if (m && !got.has(m[1]!)) got.set(m[1]!, Date.now());
      setTimeout(() => res.end("ok"), delayMs);
    });
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r({ server, port: (server.address() as { port: number }).port, got })));
}

async function daemon(args: string[]): Promise<{ child: ChildProcess; apiPort: number; stateDir: string }> {
  const stateDir = join(dir, `state-${Date.now()}`);
  const child = spawn(process.execPath, [CLI, "run", "--headless", "--state-dir", stateDir, "--api-port", "0", "--config", join(dir, "c.toml"), ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
      const m = /"msg":"api listening".*?"port":(\d+)/.exec(err);
      if (m && err.includes('"clawav running"')) resolve({ child, apiPort: Number(m[1]), stateDir });
    });
    child.on("exit", () => reject(new Error(`daemon exited: ${err.slice(-500)}`)));
  });
}
// Sixty kills in a row would drop the test user's trust below the threshold and freeze it; the
// bench measures latency, not the trust score, so auto-quarantine is off.
writeFileSync(join(dir, "c.toml"), `[policy]\ndirs = ["${dir}"]\n\n[enforce]\nauto_quarantine = false\n`);

const pct = (xs: number[], p: number): number | string => xs.length === 0 ? "-" : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

// 1. exec → SIGKILL, and exec → webhook receipt, enforce mode.
const rx = await receiver(0);
const d = await daemon(["--mode", "enforce", "--alert-enabled", "--alert-webhook-url", `http://127.0.0.1:${rx.port}/hook`, "--alert-dedupe-window", "0.001", "--alert-rate-limit", "100000", "--alert-min-severity", "info"]);
const kills: number[] = [];
const hooks: number[] = [];
const N = Number(process.env.BENCH_KILLS ?? 60);
for (let i = 0; i < N; i++) {
  const t0 = Date.now();
  // 5 s bounds a miss: a child the daemon did not kill counts as missed, not as a hang.
  const c = spawn("bash", ["-c", `sleep 5; echo clawav-bench-kill-${i}`], { uid, gid, stdio: "ignore" });
  const sig = await new Promise<NodeJS.Signals | null>((r) => c.on("exit", (_c, s) => r(s)));
  if (sig === "SIGKILL") kills.push(Date.now() - t0);
  for (let w = 0; w < 200 && !rx.got.has(String(i)); w++) await new Promise((r) => setTimeout(r, 5));
  const at = rx.got.get(String(i));
  if (at !== undefined) hooks.push(at - t0);
}
d.child.kill("SIGTERM");
await new Promise((r) => d.child.on("exit", r));
rx.server.close();

// 2. The pipeline's rate with a fast and a 2 s receiver: time until the daemon has judged M events.
async function rate(delayMs: number): Promise<number> {
  const r = await receiver(delayMs);
  const dd = await daemon(["--alert-enabled", "--alert-webhook-url", `http://127.0.0.1:${r.port}/hook`, "--alert-min-severity", "info", "--alert-dedupe-window", "0.001", "--alert-rate-limit", "100000"]);
  // Reads of the API want the token (the agent must not read them); the bench is root and reads it.
  const token = readFileSync(join(dd.stateDir, "api-token"), "utf8").trim();
  const status = async () => ((await (await fetch(`http://127.0.0.1:${dd.apiPort}/api/status`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { pipeline: { events: number } }).pipeline.events;
  const before = await status();
  const M = 300;
  const t0 = Date.now();
  // Each command raises an alert (recon.basic, info), so the dispatcher has work for every one.
  for (let i = 0; i < M; i++) spawnSync("id", ["-u"], { uid, gid, stdio: "ignore" });
  const deadline = Date.now() + 120_000;
  while ((await status()) - before < M) {
    if (Date.now() > deadline) throw new Error(`the daemon judged fewer than ${M} events in 120 s`);
    await new Promise((res) => setTimeout(res, 10));
  }
  const s = (Date.now() - t0) / 1000;
  dd.child.kill("SIGTERM");
  await new Promise((res) => dd.child.on("exit", res));
  r.server.close();
  return M / s;
}
const fast = await rate(0);
const slow = await rate(2000);

console.log(`enforce mode, real auditd, ${N} processes matching a kill rule (exec by the test user → SIGKILL observed by its parent)`);
console.log(table([
  ["measure", "n", "p50 ms", "p99 ms", "goal"],
  ["exec → SIGKILL", `${kills.length}/${N}`, pct(kills, 0.5), pct(kills, 0.99), "p99 <= 100"],
  ["exec → webhook receipt", `${hooks.length}/${N}`, pct(hooks, 0.5), pct(hooks, 0.99), "p50 <= 50, p99 <= 250"],
]));
console.log(table([
  ["receiver", "events/s through the pipeline (300 execs, each raising an alert)"],
  ["answers at once", fast.toFixed(0)],
  ["answers after 2 s", slow.toFixed(0)],
]));
rmSync(dir, { recursive: true, force: true });
