// Fault: SIGKILL of the daemon at random points, 50 times, while the agent keeps working. Every
// alert must be in the chain exactly once afterwards (the cursor may lag a crash: the restart
// skips what the chain already holds), and the chain must verify.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { rng } from "../helpers/preload-gen.js";
import { auditdUsable, IS_ROOT, runAsUser, runCli, sleep, TEST_USER, userIds, waitFor } from "../helpers/system.js";

const KILLS = Number(process.env.CRASH_KILLS ?? 50);

describe.skipIf(!IS_ROOT || !auditdUsable())("SIGKILL at random points", () => {
  it(`${KILLS} kills of a working daemon: the chain verifies and every alert is in it exactly once`, async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    console.log(`crash test seed ${seed} (CRASH_SEED=${seed} to replay)`);
    const random = rng(seed);
    const base = mkdtempSync(join(tmpdir(), "clawav-crash-"));
    // The agent looks for its stop file here; the state folder inside stays the daemon's (0700).
    chmodSync(base, 0o755);
    const tag = `clawav-crash-${process.pid}`;
    writeFileSync(join(base, "mark.yaml"), `rules:\n  - name: crash-mark\n    match:\n      command_contains: ["${tag}"]\n    action: info\n`);
    const cfg = join(base, "config.toml");
    writeFileSync(cfg, `[policy]\ndirs = ["${base}"]\n\n[network]\ndns_servers = ["127.0.0.1:1"]\n\n[ebpf]\ndns_answers = false\nsyscalls = false\n`, { mode: 0o600 });
    const stateDir = join(base, "state");

    let agent: ChildProcess | undefined;
    let sent = "";
    let agentDone: Promise<void> = Promise.resolve();
    try {
      for (let i = 0; i < KILLS; i++) {
        const d = new DaemonUnderTest(stateDir, ["--config", cfg]);
        const t0 = Date.now();
        await d.start();
        if (!agent) {
          // The agent starts once the first daemon runs (a first start reads from the end of the
          // log): a marker exec every 20 ms, numbered, until told to stop.
          const u = userIds(TEST_USER);
          const a = spawn("/bin/bash", ["-c", `n=0; while [ ! -e ${base}/stop ]; do /bin/true ${tag} $n; n=$((n+1)); sleep 0.02; done; echo $n`], { uid: u.uid, gid: u.gid, cwd: "/tmp", stdio: ["ignore", "pipe", "ignore"] });
          a.stdout.on("data", (b: Buffer) => (sent += b.toString()));
          agentDone = new Promise<void>((r) => a.on("exit", () => r()));
          agent = a;
        }
        if (process.env.CRASH_DEBUG) console.log(`kill ${i}: started in ${Date.now() - t0} ms`);
        await sleep(50 + Math.floor(random() * 1200));
        d.signal("SIGKILL");
        expect((await d.exit!).signal).toBe("SIGKILL");
      }
    } finally {
      writeFileSync(join(base, "stop"), "");
      await agentDone;
    }
    const total = Number(sent.trim());
    expect(total).toBeGreaterThan(100);

    // A last, clean run reads what the agent did while the daemon was down, then stops.
    const d = new DaemonUnderTest(stateDir, ["--config", cfg]);
    await d.start();
    // Caught up once a marker made after this start is judged: the log is read in order. (The
    // agent's last marker need not raise anything in this run: if the last killed daemon judged it,
    // it is in the chain already and this run skips it, which is right; the chain check below counts it.)
    const sentinel = await runAsUser("/bin/true", [tag, "sentinel"]);
    expect(sentinel.code).toBe(0);
    await d.waitAlert("a marker made after the last start", (a) => a.rule === "crash-mark" && (a.event.process?.argv ?? []).at(-1) === "sentinel", 60_000).catch(async (e: Error) => {
      // Say where the last run stood: where it resumed, how far it got, what its source saw.
      const seen = d.alerts.filter((a) => a.rule === "crash-mark").map((a) => Number((a.event.process?.argv ?? []).at(-1)));
      const st = await d.api<{ sources: unknown[]; queue: unknown; pipeline: unknown; chain: unknown }>("/api/status").catch((x: Error) => ({ error: x.message }));
      throw new Error(`${e.message}; the agent's last marker was ${total - 1}; this run alerted ${seen.length} markers, highest ${Math.max(-1, ...seen.filter(Number.isFinite))}; status ${JSON.stringify(st)}; daemon log tail ${d.stderr.slice(-3000)}`);
    });
    await waitFor("the queue to drain", async () => ((await d.api<{ queue: { length: number } }>("/api/status")).queue.length === 0 ? true : undefined), 30_000).catch(() => undefined);
    const skippedTotal = (await d.api<{ chain: { skipped_after_restart: number } }>("/api/status")).chain.skipped_after_restart;
    expect((await d.stop()).code).toBe(0);

    const chainFile = join(stateDir, "audit.chain");
    const v = await runCli(["verify-audit", chainFile]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const counts = new Map<number, number>();
    for (const line of readFileSync(chainFile, "utf8").split("\n")) {
      if (!line.includes('"crash-mark"')) continue;
      const e = JSON.parse(line) as { type: string; alert?: { rule: string; event: { process?: { argv: string[] } } } };
      if (e.type !== "alert" || e.alert?.rule !== "crash-mark") continue;
      const n = Number(e.alert.event.process?.argv.at(-1));
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    const missing: number[] = [];
    const doubled: number[] = [];
    for (let n = 0; n < total; n++) {
      const c = counts.get(n) ?? 0;
      if (c === 0) missing.push(n);
      if (c > 1) doubled.push(n);
    }
    if (missing.length > 0) console.log(`missing: ${missing.join(",")}`);
    console.log(`crash test: ${total} marked execs, ${KILLS} kills, ${skippedTotal} events skipped by the last restart`);
    expect({ missing: missing.slice(0, 10), doubled: doubled.slice(0, 10), nMissing: missing.length, nDoubled: doubled.length }).toEqual({ missing: [], doubled: [], nMissing: 0, nDoubled: 0 });
  }, 600_000);
});
