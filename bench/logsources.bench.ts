// The log sources' rates (issue 14: the events per second each source sustains): rsyslog-style
// auth.log lines through the syslog source (a file followed as the audit log is), and journal
// entries through the journald source, beside journalctl's own rate reading the same entries
// (the peer: what the source's reader delivers before clawav parses a line). In-process, no daemon.
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventIdGenerator, type Event } from "../src/events/index.js";
import { syslogSource } from "../src/sources/syslog/index.js";
import { JournaldSource } from "../src/sources/journald/index.js";
import { table } from "./timing.js";

const LINES = 100_000;
const ENTRIES = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, ms = 300_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(5);
  }
}

// Syslog: the lines appended in 10 chunks after the source started (it reads from the end).
const dir = mkdtempSync(join(tmpdir(), "clawav-logbench-"));
const auth = join(dir, "auth.log");
writeFileSync(auth, "");
let got = 0;
const src = syslogSource({ files: [{ path: auth, log: "auth" }], nodeId: "bench", ids: new EventIdGenerator() });
await src.start(() => got++);
await sleep(300);
const line = (i: number) => `2026-12-06T16:00:00.${String(i % 1_000_000).padStart(6, "0")}+00:00 vm sshd[${1000 + (i % 5000)}]: Failed password for invalid user u${i} from 192.0.2.${i % 250} port ${30000 + (i % 30000)} ssh2\n`;
const t0 = process.hrtime.bigint();
for (let c = 0; c < 10; c++) {
  let chunk = "";
  for (let i = c * (LINES / 10); i < (c + 1) * (LINES / 10); i++) chunk += line(i);
  appendFileSync(auth, chunk);
}
await until(() => got >= LINES);
const syslogS = Number(process.hrtime.bigint() - t0) / 1e9;
await src.stop();

// The journal: systemd-cat writes one entry per line; journalctl is the peer.
const journalctl = ["/usr/bin/journalctl", "/bin/journalctl"].find((p) => existsSync(p));
let rows: (string | number)[][] = [["syslog (auth.log followed)", LINES, syslogS.toFixed(2), (LINES / syslogS).toFixed(0), "-"]];
if (journalctl && existsSync("/run/systemd/journal/socket") && spawnSync("which", ["systemd-cat"]).status === 0) {
  const tag = `clawav-bench-${process.pid}`;
  const events: Event[] = [];
  const j = new JournaldSource({ journalctl, nodeId: "bench", ids: new EventIdGenerator() });
  await j.start((e) => {
    if (e.log?.program === tag) events.push(e);
  });
  await sleep(500);
  const body = Array.from({ length: ENTRIES }, (_, i) => `entry ${i} of the bench`).join("\n") + "\n";
  const t1 = process.hrtime.bigint();
  const cat = spawn("systemd-cat", ["-t", tag], { stdio: ["pipe", "ignore", "ignore"] });
  cat.stdin.end(body);
  await until(() => events.length >= ENTRIES);
  const journaldS = Number(process.hrtime.bigint() - t1) / 1e9;
  await j.stop();
  // The peer: journalctl alone reading the same entries (already written: its read rate only).
  const t2 = process.hrtime.bigint();
  const r = spawnSync(journalctl, ["--output=json", "--no-pager", `SYSLOG_IDENTIFIER=${tag}`], { maxBuffer: 1 << 30, encoding: "utf8" });
  const peerS = Number(process.hrtime.bigint() - t2) / 1e9;
  const peerN = r.stdout.split("\n").filter(Boolean).length;
  rows = [...rows, ["journald (write and read, live)", ENTRIES, journaldS.toFixed(2), (ENTRIES / journaldS).toFixed(0), "-"], ["journalctl --output=json alone (peer, read only)", peerN, peerS.toFixed(2), (peerN / peerS).toFixed(0), ((ENTRIES / journaldS) / (peerN / peerS)).toFixed(2)]];
} else rows.push(["journald", "-", "-", "-", "journald not running: start /lib/systemd/systemd-journald"]);
rmSync(dir, { recursive: true, force: true });
console.log("log sources: events delivered per second (parsed into events, judged nowhere)");
console.log(table([["source", "events", "s", "events/s", "ratio to the peer"], ...rows]));
