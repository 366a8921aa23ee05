// The LLM proxy's added latency, beside a direct connection to the same upstream in the same run:
// p50/p99 of a 1 KB and a 200 KB request (goal: p99 added <= 2 ms at 200 KB), time to the first
// byte of a stream; then 500 concurrent streams through it, with its memory. The proxy is the real
// `clawav proxy` (dist/), the upstream a loopback TLS server with a CA made here by openssl.
// Run: npm run bench -- proxy
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, createServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GOAL_ADDED_P99_MS = 2;
const dir = mkdtempSync(join(tmpdir(), "clawav-proxy-bench-"));
const ssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
ssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=bench CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]);
ssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "s.key", "-out", "s.csr", "-subj", "/CN=127.0.0.1"]);
writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
ssl(["x509", "-req", "-in", "s.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "s.pem", "-days", "1", "-extfile", "ext.cnf"]);
const ca = readFileSync(join(dir, "ca.pem"), "utf8");
const REAL = "sk-ant-api03-benchbenchbenchbenchbenchbenchbench";

/** Streams: `chunks` events `gap` ms apart; else a small JSON answer. */
let streamChunks = 20;
let streamGap = 0;
const upstream = createServer({ cert: readFileSync(join(dir, "s.pem")), key: readFileSync(join(dir, "s.key")), keepAlive: true }, (req, res) => {
  let n = 0;
  req.on("data", (c: Buffer) => (n += c.length));
  req.on("end", () => {
    if (req.headers["x-api-key"] !== REAL) {
      res.writeHead(401).end();
      return;
    }
    if (req.headers["x-stream"] === "1") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":${n},"output_tokens":1}}}\n\n`);
      let i = 0;
      const next = () => {
        if (i++ >= streamChunks) return res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
        res.write(`event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word${i} "}}\n\n`);
        setTimeout(next, streamGap);
      };
      next();
      return;
    }
    const body = JSON.stringify({ id: "msg", type: "message", content: [{ type: "text", text: "ok" }], usage: { input_tokens: n, output_tokens: 2 } });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
upstream.keepAliveTimeout = 60_000;
await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
const upPort = (upstream.address() as AddressInfo).port;

const CLI = join(process.cwd(), "dist", "cli", "clawav.js");
const keys = join(dir, "keys.toml");
writeFileSync(join(dir, "ca-file.pem"), ca);
const cfg = join(dir, "config.toml");
writeFileSync(cfg, `[proxy]\nkeys_file = "${keys}"\nca_file = "${join(dir, "ca-file.pem")}"\nfingerprint_files = []\nupstreams = [{ name = "anthropic", api = "anthropic", url = "https://127.0.0.1:${upPort}" }]\n`, { mode: 0o600 });
const vk = execFileSync(process.execPath, [CLI, "proxy", "keys", "add", "--config", cfg, "--id", "bench", "--upstream", "anthropic", "--real-key-stdin"], { input: REAL, stdio: ["pipe", "pipe", "ignore"] })
  .toString()
  .trim();
const proxy = spawn(process.execPath, [...(process.env.PROXY_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.PROXY_PROF] : []), CLI, "proxy", "--config", cfg, "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
let log = "";
proxy.stderr.on("data", (b: Buffer) => (log += b.toString()));
const proxyPort = await new Promise<number>((resolve, reject) => {
  const t = setInterval(() => {
    const m = /"msg":"llm proxy listening".*?"port":(\d+)/.exec(log);
    if (m) {
      clearInterval(t);
      resolve(Number(m[1]));
    }
    if (proxy.exitCode !== null) reject(new Error(`clawav proxy exited: ${log}`));
  }, 20);
});

const direct = new HttpsAgent({ keepAlive: true, ca, maxSockets: 1024 });
const viaProxy = new HttpAgent({ keepAlive: true, maxSockets: 1024 });

interface Res {
  ttfb: number;
  total: number;
}
function send(via: "direct" | "proxy", body: string, stream: boolean): Promise<Res> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body), "anthropic-version": "2023-06-01", "x-api-key": via === "direct" ? REAL : vk, ...(stream ? { "x-stream": "1" } : {}) };
    const req =
      via === "direct"
        ? httpsRequest({ host: "127.0.0.1", port: upPort, method: "POST", path: "/v1/messages", agent: direct, headers })
        : httpRequest({ host: "127.0.0.1", port: proxyPort, method: "POST", path: "/v1/messages", agent: viaProxy, headers });
    req.on("response", (res) => {
      let ttfb = -1;
      res.on("data", () => {
        if (ttfb < 0) ttfb = performance.now() - t0;
      });
      res.on("end", () => (res.statusCode === 200 ? resolve({ ttfb, total: performance.now() - t0 }) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const WORDS = "the agent reads the repository and proposes a change to the parser so that the tests pass again while the docs say what changed".split(" ");
let seed = 11;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
/** About `size` characters of ordinary text (nothing for the DLP to find), different each time. */
function text(size: number): string {
  let t = "";
  while (t.length < size) t += `${WORDS[Math.floor(rnd() * WORDS.length)]} `;
  return t.slice(0, size);
}
/** A request of one new message of about `size` bytes: never seen by the proxy before. */
function prompt(size: number): string {
  return JSON.stringify({ model: "claude-test", max_tokens: 64, messages: [{ role: "user", content: text(size - 120) }] });
}
/** A conversation as an agent sends it: the same earlier turns (about 199 KB in 2 KB turns) and one new 1 KB turn. */
const history = Array.from({ length: 99 }, (_, i) => ({ role: i % 2 === 0 ? "user" : "assistant", content: text(2000) }));
function conversation(): string {
  return JSON.stringify({ model: "claude-test", max_tokens: 64, messages: [...history, { role: "user", content: text(1024) }] });
}

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const rows: (string | number)[][] = [];
async function compare(name: string, body: () => string, n: number, stream: boolean, pick: (r: Res) => number): Promise<void> {
  for (let w = 0; w < 30; w++) {
    await send("direct", body(), stream);
    await send("proxy", body(), stream);
  }
  const d: number[] = [];
  const p: number[] = [];
  // Interleaved, so that both see the same moments of a shared machine; each its own body.
  for (let i = 0; i < n; i++) {
    d.push(pick(await send("direct", body(), stream)));
    p.push(pick(await send("proxy", body(), stream)));
  }
  rows.push([name, n, q(d, 0.5).toFixed(3), q(d, 0.99).toFixed(3), q(p, 0.5).toFixed(3), q(p, 0.99).toFixed(3), (q(p, 0.5) - q(d, 0.5)).toFixed(3), (q(p, 0.99) - q(d, 0.99)).toFixed(3)]);
}

await compare("request 1 KB", () => prompt(1024), 600, false, (r) => r.total);
await compare("request 200 KB, all new", () => prompt(200 * 1024), 300, false, (r) => r.total);
await compare("request 200 KB, a conversation (1 KB new)", conversation, 300, false, (r) => r.total);
await compare("stream, first byte", () => prompt(1024), 400, true, (r) => r.ttfb);

const head = ["case", "n", "direct p50 ms", "direct p99 ms", "proxy p50 ms", "proxy p99 ms", "added p50 ms", "added p99 ms"];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
console.log(head.map((h, i) => h.padEnd(w[i]!)).join("  "));
for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(w[i]!)).join("  "));
for (const r of [rows[1]!, rows[2]!]) {
  const added = Number(r[7]);
  console.log(`goal: p99 added <= ${GOAL_ADDED_P99_MS} ms for ${r[0]}: ${added <= GOAL_ADDED_P99_MS ? "met" : "NOT met"} (${added.toFixed(3)} ms)`);
}

// 500 concurrent streams, each 40 events 100 ms apart (4 s), through the proxy: all complete, and its memory stays bounded.
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proxy.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
streamChunks = 40;
streamGap = 100;
const before = rss();
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, rss())), 100);
const t0 = performance.now();
const all = await Promise.allSettled(Array.from({ length: 500 }, () => send("proxy", prompt(2048), true)));
clearInterval(sampler);
const ok = all.filter((r) => r.status === "fulfilled").length;
console.log(`500 concurrent streams through the proxy: ${ok} completed in ${((performance.now() - t0) / 1000).toFixed(1)} s; proxy RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB, ${rss().toFixed(0)} MB after`);

proxy.kill("SIGTERM");
direct.destroy();
viaProxy.destroy();
upstream.closeAllConnections();
upstream.close();
