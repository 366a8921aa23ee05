// clawav parse-audit against laurel and ausearch on the same generated log, same run.
// Run: npm run bench -- parse-audit   (or node scripts/run-bench.mjs parse-audit)
import { mkdtempSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { generateAuditLog } from "./corpus.js";
import { table, timeCommand, type Timed } from "./timing.js";

const root = process.cwd();
const dir = mkdtempSync(join(tmpdir(), "clawav-bench-"));
const has = (c: string) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", c], { stdio: "ignore" }).status === 0;

// laurel runs as an auditd plugin reading records on stdin; pointed at a temporary directory,
// with /proc-based enrichment off (the corpus's pids are not live processes).
const laurelCfg = join(dir, "laurel.toml");
writeFileSync(laurelCfg, `directory = "${join(dir, "laurel")}"\nuser = "root"\nstatusreport-period = 0\n[auditlog]\nfile = "audit.log"\nsize = 100000000000\ngenerations = 2\n[transform]\nexecve-argv = [ "array" ]\n[translate]\nuniversal = false\nuser-db = false\n[enrich]\npid = false\ncontainer = false\nscript = false\nexecve-env = []\n`);

async function compare(title: string, pick: (f: string) => boolean, minLines: number, peers: ("laurel" | "ausearch")[], withReplay = false): Promise<void> {
  const log = join(dir, "audit.log");
  const lines = await generateAuditLog(root, log, minLines, pick);
  console.log(`\n${title}: ${lines} lines, ${(statSync(log).size / 1048576).toFixed(1)} MiB (recorded events replicated with fresh serials)`);
  const results: Timed[] = [timeCommand("clawav parse-audit", process.execPath, [join(root, "dist", "cli", "clawav.js"), "parse-audit", log])];
  // replay: the same log through the whole pipeline (enrich, detect with the shipped rules, aggregate).
  if (withReplay) results.push(timeCommand("clawav replay", process.execPath, [join(root, "dist", "cli", "clawav.js"), "replay", log]));
  if (peers.includes("laurel")) results.push(has("laurel") ? timeCommand("laurel", "laurel", ["-c", laurelCfg], { stdinFile: log, runs: minLines > 100_000 ? 2 : 1 }) : { name: "laurel", seconds: NaN, ok: false, note: "not installed (apt-get install laurel)" });
  if (peers.includes("ausearch")) results.push(has("ausearch") ? timeCommand("ausearch --format csv", "ausearch", ["--format", "csv", "-if", log]) : { name: "ausearch", seconds: NaN, ok: false, note: "not installed (apt-get install auditd)" });
  const laurel = results.find((r) => r.name === "laurel")?.seconds ?? NaN;
  console.log(
    table([
      ["tool", "wall s", "lines/s", "time / laurel's", "note"],
      ...results.map((r) => [r.name, r.seconds.toFixed(2), Number.isFinite(r.seconds) ? Math.round(lines / r.seconds).toLocaleString("en") : "-", Number.isFinite(r.seconds / laurel) ? (r.seconds / laurel).toFixed(2) : "-", r.ok ? "" : (r.note ?? "failed")]),
    ]),
  );
  rmSync(log, { force: true });
}

const mainLines = Number(process.env.BENCH_LINES ?? 520_000);
await compare("everyday mix (every recorded scenario but the 20 KB argument)", (f) => f !== "exec-long-arg.log", mainLines, ["laurel", "ausearch"], true);
console.log("goals: parse-audit's wall time <= laurel's; replay (parse + detect) no slower than laurel, which only parses");
await compare("long arguments only (a 20000-byte argument the kernel splits into chunks)", (f) => f === "exec-long-arg.log", Math.round(mainLines / 80), ["laurel", "ausearch"]);
rmSync(dir, { recursive: true, force: true });
