// The scenario suite: every attack in scenarios/attacks.ts and every benign workflow in
// scenarios/benign.ts, run live as the unprivileged test user against the real auditd and a real
// daemon. Per family it reports how many attacks were detected with the right category at warning
// or above, and how many benign workflows were flagged. The floor asserted here only rises.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { mkdirSync, writeFileSync, chownSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { auditdUsable, runAsUser, sleep, TEST_USER, userIds } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import type { Alert, Event } from "../../src/events/index.js";
import { ATTACKS, type Scenario } from "./scenarios/attacks.js";
import { BENIGN } from "./scenarios/benign.js";
import { MIRROR_ADDRESS, PackageMirror } from "../helpers/package-mirror.js";

/** Detected share of attacks with the right category at >= warning: raised as rules improve, never lowered. */
const ATTACK_FLOOR = 0.95;
/** Benign workflows flagged at >= warning. */
const BENIGN_CEILING = 1;

interface Outcome {
  s: Scenario;
  alerts: Alert[];
  right: boolean;
  loud: boolean;
}

const live = auditdUsable();

describe.skipIf(!live)("scenario suite: attacks by family and benign workflows, live", () => {
  const u = live ? userIds(TEST_USER) : { uid: 0, gid: 0, home: "/" };
  const backup = "/tmp/clawav-scenario-home.tar";
  let http: Server;
  let port = 0;
  let d: DaemonUnderTest;
  const mirror = new PackageMirror(process.cwd(), ["zod", "commander", "yaml"]);
  const outcomes: Outcome[] = [];
  /** A benign workflow that fails proves nothing about false positives: each must succeed. */
  const failedBenign: string[] = [];

  const put = (rel: string, text: string, mode = 0o600) => {
    const p = join(u.home, rel);
    const dirs: string[] = [];
    for (let x = dirname(p); x.startsWith(u.home) && x !== u.home && !existsSync(x); x = dirname(x)) dirs.unshift(x);
    for (const x of dirs) {
      mkdirSync(x, { mode: 0o700 });
      chownSync(x, u.uid, u.gid);
    }
    writeFileSync(p, text, { mode });
    chownSync(p, u.uid, u.gid);
  };

  beforeAll(async () => {
    spawnSync("tar", ["cpf", backup, "-C", u.home, "."]);
    put(".ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\ntest\n-----END OPENSSH PRIVATE KEY-----\n");
    put(".ssh/authorized_keys", "");
    put(".aws/credentials", "[default]\naws_access_key_id = AKIATEST\naws_secret_access_key = test\n");
    put(".netrc", "machine example.org login a password b\n");
    put(".git-credentials", "https://a:b@example.org\n");
    put(".kube/config", "apiVersion: v1\n");
    put(".docker/config.json", "{}\n");
    put(".gnupg/private-keys-v1.d/x.key", "key\n");
    put(".openclaw/credentials.json", '{"token":"oc-test"}\n');
    put(".openclaw/workspace/SOUL.md", "# soul\n", 0o644);
    put(".claude/.credentials.json", '{"k":"c"}\n');
    put(".bash_history", "ls\ncurl example.org\n");
    put(".zsh_history", "ls\n");
    put(".bashrc", "# bashrc\n", 0o644);
    put(".config/google-chrome/Default/Login Data", "x");
    put(".mozilla/firefox/prof.default/logins.json", "{}");
    put(".local/state/agent/logs/a.log", "log\n");
    put("work/payload.sh", "#!/bin/sh\n", 0o644);
    put("work/notes.txt", "notes\n", 0o644);
    put("work/.env", "API_KEY=test\n");
    for (let i = 0; i < 5; i++) put(`work/docs/d${i}.txt`, `doc ${i}\n`, 0o644);
    for (const proj of ["proj", "bproj"]) {
    put(`${proj}/package.json`, JSON.stringify({ name: proj, version: "1.0.0", scripts: { test: "node -e \"console.log('ok')\"", build: "node -e \"console.log('built')\"" } }, null, 2) + "\n", 0o644);
    put(`${proj}/Makefile`, "all:\n\t@echo made\n", 0o644);
    put(`${proj}/src/main.c`, "#include <stdio.h>\n// TODO: more\nint main(void){ puts(\"hello\"); return 0; }\n", 0o644);
    put(`${proj}/README.md`, "# proj\n", 0o644);
    put(`${proj}/notes.md`, "notes\n", 0o644);
    const git = (...args: string[]) => runAsUser("git", ["-C", join(u.home, proj), ...args]);
    await git("init", "-q");
    await git("add", ".");
    await git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "-m", "init");
    }
    http = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.end("echo ok\n"));
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    port = (http.address() as { port: number }).port;
    await mirror.start();
    // The mirror's own loopback address is allowed, as a company mirror would be; 127.0.0.1 (the attacks' "remote" host) is not.
    d = DaemonUnderTest.withTempState(["--alert-dedupe-window", "0.001"], `[network]\nallowed_cidrs = ["${MIRROR_ADDRESS}/32"]\ndns_servers = ["127.0.0.1:1"]\n`);
    await d.start();
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
    http?.close();
    await mirror.stop();
    spawnSync("crontab", ["-r", "-u", TEST_USER], { stdio: "ignore" });
    spawnSync("sh", ["-c", 'cd "$1" && find . -mindepth 1 -maxdepth 1 -exec rm -rf {} +', "sh", u.home]);
    spawnSync("tar", ["xpf", backup, "-C", u.home]);
    rmSync(backup, { force: true });
    for (const f of ["/tmp/k.tgz", "/tmp/home.tar", "/tmp/a.zip", "/tmp/oc.zip", "/tmp/staged-ssh", "/tmp/oc.json", "/tmp/oc-link", "/tmp/.k"]) rmSync(f, { recursive: true, force: true });
  });

  const marker = async (what: string): Promise<Event> => {
    await runAsUser("/bin/true", [what]);
    return d.waitEvent(what, (e) => e.kind === "exec" && e.process?.argv[1] === what, 20_000);
  };

  const runAll = async (list: Scenario[]) => {
    const windows: { s: Scenario; from: Event; to: Event }[] = [];
    for (const [i, s] of list.entries()) {
      const tag = `clawav-scn-${i}-${Date.now()}`;
      const from = await marker(`${tag}-start`);
      const api = (d.logs.find((l) => l.msg === "api listening") as { port: number }).port;
      const auditd = spawnSync("pidof", ["auditd"], { encoding: "utf8" }).stdout.trim().split(" ")[0] ?? "1";
      const sh = (s.sh ?? "").replaceAll("{P}", String(port)).replaceAll("{H}", u.home).replaceAll("{API}", String(api)).replaceAll("{AUDITD}", auditd).replaceAll("{CLAWAV}", String(d.pid ?? 1)).replaceAll("{NPM}", mirror.npmRegistry).replaceAll("{PYPI}", mirror.pypiIndex);
      const r = await runAsUser("timeout", [s.family === "benign" ? "60" : "15", ...(s.argv ?? ["bash", "-c", sh])]);
      if (s.family === "benign" && r.code !== 0) failedBenign.push(`${s.id} (exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(-300)})`);
      const to = await marker(`${tag}-end`);
      windows.push({ s, from, to });
    }
    await sleep(500);
    for (const w of windows) {
      const inWindow = (a: Alert) => a.event.source === "auditd" && a.event.serial !== undefined && a.event.ts >= w.from.ts && a.event.ts <= w.to.ts && a.event.serial > w.from.serial! && a.event.serial < w.to.serial!;
      const alerts = d.alerts.filter(inWindow);
      const loud = alerts.filter((a) => a.severity !== "info");
      outcomes.push({ s: w.s, alerts, right: loud.some((a) => a.category === w.s.category), loud: loud.length > 0 });
    }
  };

  it("runs every attack and benign workflow", async () => {
    await runAll([...ATTACKS, ...BENIGN]);
    expect(outcomes.length).toBe(ATTACKS.length + BENIGN.length);
    expect(failedBenign).toEqual([]);
  }, 900_000);

  it(`detects at least ${ATTACK_FLOOR * 100}% of attacks with the right category, flags at most ${BENIGN_CEILING} benign workflows`, () => {
    const families = new Map<string, { n: number; right: number; any: number }>();
    for (const o of outcomes.filter((x) => x.s.family !== "benign")) {
      const f = families.get(o.s.family) ?? { n: 0, right: 0, any: 0 };
      f.n++;
      if (o.right) f.right++;
      if (o.loud) f.any++;
      families.set(o.s.family, f);
    }
    const attacks = outcomes.filter((o) => o.s.family !== "benign");
    const benign = outcomes.filter((o) => o.s.family === "benign");
    const right = attacks.filter((o) => o.right).length;
    const flagged = benign.filter((o) => o.loud);
    const lines = [...families].map(([k, f]) => `${k.padEnd(20)} ${String(f.right).padStart(3)}/${String(f.n).padEnd(3)} right category, ${f.any} at >= warning`);
    lines.push(`${"all attacks".padEnd(20)} ${right}/${attacks.length} (${((100 * right) / attacks.length).toFixed(1)}%)`);
    lines.push(`${"benign flagged".padEnd(20)} ${flagged.length}/${benign.length}: ${flagged.map((o) => `${o.s.id} [${o.alerts.filter((a) => a.severity !== "info").map((a) => `${a.rule} (${a.event.process?.argv.join(" ").slice(0, 100) ?? ""})`).join(", ")}]`).join("; ")}`);
    const missed = attacks.filter((o) => !o.right).map((o) => `${o.s.id} (${o.alerts.filter((a) => a.severity !== "info").map((a) => `${a.category}:${a.rule} [${a.event.process?.argv.join(" ").slice(0, 80) ?? ""}]`).join(", ") || "nothing"})`);
    process.stdout.write(`\nscenario suite\n${lines.join("\n")}\nmissed: ${missed.join("; ")}\n`);
    writeFileSync("/tmp/clawav-scenarios.txt", `${lines.join("\n")}\nmissed:\n${missed.join("\n")}\n`);
    // The whole alerts of flagged benign workflows, for whoever has to find out why.
    writeFileSync("/tmp/clawav-scenarios-flagged.ndjson", flagged.flatMap((o) => o.alerts.filter((a) => a.severity !== "info").map((a) => JSON.stringify({ scenario: o.s.id, alert: a }) + "\n")).join(""));
    expect(right / attacks.length).toBeGreaterThanOrEqual(ATTACK_FLOOR);
    expect(flagged.length).toBeLessThanOrEqual(BENIGN_CEILING);
  });
});
