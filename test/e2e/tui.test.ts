// The terminal dashboard as a person uses it: `clawav tui` in a real tmux (160×40) against the
// live daemon; keys sent with send-keys, the screen read with capture-pane. An agent action shows
// up in the Alerts tab, the Sources tab shows auditd running, the filter and the detail work, p
// pauses the view, q quits and gives the terminal back.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { auditdUsable, CLI, commandExists, runAsUser, waitFor } from "../helpers/system.js";

const SESSION = `clawav-tui-${process.pid}`;
const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
const screen = () => tmux("capture-pane", "-p", "-t", SESSION).stdout;
const keys = (...k: string[]) => expect(tmux("send-keys", "-t", SESSION, ...k).status).toBe(0);
const shows = (what: string, re: RegExp, ms = 15_000) => waitFor(what, () => (re.test(screen()) ? screen() : undefined), ms, 100);

describe.skipIf(!auditdUsable() || !commandExists("tmux"))("clawav tui in tmux against the live daemon", () => {
  let d: DaemonUnderTest;
  beforeAll(async () => {
    d = DaemonUnderTest.withTempState();
    await d.start();
    const cfg = join(d.stateDir, "..", "tui.toml");
    writeFileSync(cfg, `[general]\nstate_dir = "${d.stateDir}"\n`);
    const r = tmux("new-session", "-d", "-s", SESSION, "-x", "160", "-y", "40", `${process.execPath} ${CLI} tui --config ${cfg}; echo TUI-EXIT=$?; sleep 30`);
    expect(r.status, r.stderr).toBe(0);
    await shows("the dashboard", /clawav\s+1 Alerts\s+2 Network/);
  }, 60_000);
  afterAll(async () => {
    tmux("kill-session", "-t", SESSION);
    if (d) expect((await d.stop()).code).toBe(0);
  });

  it("an agent's action appears in the Alerts tab within seconds", async () => {
    const m = `tui-${Date.now()}`;
    await runAsUser("bash", ["-c", `echo ZWNobyBoaQo= | base64 -d | sh # ${m}`]);
    const s = await shows("the alert on screen", /critical\s+code\.decode-exec/);
    expect(s).toMatch(/\d\d:\d\d:\d\d critical code\.decode-exec/);
  });

  it("the Sources tab lists auditd running; the System tab the mode and the chain", async () => {
    keys("3");
    await shows("the sources table", /auditd\s+running\s+\d+/);
    keys("5");
    await shows("the system tab", /mode\s+monitor[\s\S]*chain\s+\d+ entries/);
  });

  it("/ filters, Enter opens the alert's detail with its ATT&CK ids, Esc goes back", async () => {
    keys("1", "/");
    keys("-l", "decode");
    keys("Enter");
    await shows("the filter in the footer", /filter \(decode\)/);
    keys("Enter");
    const s = await shows("the detail", /ATT&CK: T\d{4}/);
    expect(s).toContain("code.decode-exec  critical EVASION (behavior)");
    keys("Escape");
    await shows("the list again", /critical\s+code\.decode-exec/);
  });

  it("p pauses the view, q quits and gives the terminal back", async () => {
    keys("p");
    await shows("the paused mark", /\[PAUSED\]/);
    keys("q");
    const s = await shows("the exit", /TUI-EXIT=0/);
    expect(s).not.toContain("Alerts  2 Network");
  });
});
