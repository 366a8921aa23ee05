// The journal on the live daemon: journald (real, started by the test set-up when none runs)
// without rsyslog's files, entries written through its native protocol as sshd writes them, judged
// as auth.log's lines are; journalctl killed is a critical sensor alert, and reading goes on.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { ensureJournald, JOURNALCTL, journalWrite, unique } from "../helpers/journald.js";
import { IS_ROOT, waitFor } from "../helpers/system.js";
import { existsSync } from "node:fs";

describe.skipIf(!IS_ROOT || !existsSync(JOURNALCTL))("the journal on the live daemon (real journald)", () => {
  let d: DaemonUnderTest;
  beforeAll(async () => {
    await ensureJournald();
    // As on a machine where journald alone keeps the log: the syslog source is off.
    d = DaemonUnderTest.withTempState([], `[syslog]\nenabled = false\n[journald]\nenabled = "auto"\njournalctl = "${JOURNALCTL}"\n`);
    await d.start();
  }, 30_000);
  afterAll(async () => {
    if (d) expect((await d.stop()).code).toBe(0);
  });

  it("an ssh root login in the journal: auth.ssh-root-login, from the journald source", async () => {
    const port = String(40000 + Math.floor(Math.random() * 20000));
    await journalWrite({ SYSLOG_IDENTIFIER: "sshd", SYSLOG_FACILITY: "10", PRIORITY: "6", MESSAGE: `Accepted publickey for root from 192.0.2.9 port ${port} ssh2` });
    const a = await d.waitAlert("the root login", (x) => x.rule === "auth.ssh-root-login" && x.summary.includes(`port ${port}`));
    expect(a).toMatchObject({ severity: "warning", event: { source: "journald", kind: "log", log: { log: "auth", program: "sshd", file: "journal" } } });
    const st = await d.api<{ sources: { name: string; state: string; events: number }[] }>("/api/status");
    expect(st.sources.find((s) => s.name === "journald")).toMatchObject({ state: "running" });
  });

  it("the journal rotated (journalctl --rotate): entries after it still arrive", async () => {
    expect(spawnSync(JOURNALCTL, ["--rotate"], { encoding: "utf8" }).status).toBe(0);
    const who = unique("rotated");
    await waitFor("a refused su after the rotation", async () => {
      await journalWrite({ SYSLOG_IDENTIFIER: "su", SYSLOG_FACILITY: "10", MESSAGE: `FAILED SU (to root) ${who} on pts/1` });
      return d.alerts.find((x) => x.rule === "auth.su-failed" && x.summary.includes(who));
    }, 20_000, 1000);
  });

  it("journalctl killed: a critical sensor-source-down, then the journal is read again", async () => {
    const child = spawnSync("pgrep", ["-P", String(d.pid), "-f", "journalctl"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
    expect(child, "the daemon's journalctl").toMatch(/^\d+$/);
    process.kill(Number(child), "SIGKILL");
    const down = await d.waitAlert("the source-down alert", (x) => x.rule === "sensor-source-down" && x.event.sensor?.condition === "source_down:journald");
    expect(down.severity).toBe("critical");
    const who = unique("user");
    await waitFor("a refused su after the restart", async () => {
      await journalWrite({ SYSLOG_IDENTIFIER: "su", SYSLOG_FACILITY: "10", MESSAGE: `FAILED SU (to root) ${who} on pts/0` });
      return d.alerts.find((x) => x.rule === "auth.su-failed" && x.summary.includes(who));
    }, 20_000, 1000);
  });
});
