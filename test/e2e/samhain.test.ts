// Samhain on the live daemon: the real samhain (Debian) checks a test tree after one file was
// changed, one removed and one added; each violation becomes an alert with the file and what
// changed, and samhain's exit is said. Samhain reads only its compiled-in /etc/samhain/samhainrc:
// the test puts its own there (database and log in a temp folder) and puts the original back.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandExists, IS_ROOT } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

const RC = "/etc/samhain/samhainrc";
const live = IS_ROOT && commandExists("samhain");

describe.skipIf(!live)("Samhain on the live daemon (real samhain)", () => {
  let d: DaemonUnderTest;
  let dir = "";
  let original: string | undefined;
  const samhain = (mode: string) => spawnSync("samhain", ["-t", mode, "-p", "none"], { encoding: "utf8" });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "clawav-samhain-"));
    const tree = join(dir, "tree");
    mkdirSync(tree);
    writeFileSync(join(tree, "config.json"), '{"model": "x"}\n');
    writeFileSync(join(tree, "notes.txt"), "keep\n");
    original = existsSync(RC) ? readFileSync(RC, "utf8") : undefined;
    mkdirSync("/etc/samhain", { recursive: true });
    writeFileSync(RC, `[ReadOnly]\ndir = 99${tree}\n[Log]\nLogSeverity = info\n[SuidCheck]\nSuidCheckActive = no\n[Utmp]\nLoginCheckActive = no\n[PortCheck]\nPortCheckActive = no\n[ProcessCheck]\nProcessCheckActive = no\n[Misc]\nDaemon = no\nSetDatabasePath = ${dir}/samhain_file\nSetLogfilePath = ${dir}/samhain.log\nSetLockfilePath = ${dir}/samhain.lock\n`);
    expect(samhain("init").status).toBe(0);
    d = DaemonUnderTest.withTempState([], `[samhain]\nenabled = true\nlog_path = "${dir}/samhain.log"\n`);
    await d.start();
  });
  afterAll(async () => {
    if (original !== undefined) writeFileSync(RC, original);
    expect((await d?.stop())?.code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a changed, a removed and an added file: one alert each with the path and what changed; the exit is said", async () => {
    const tree = join(dir, "tree");
    appendFileSync(join(tree, "config.json"), '{"model": "attacker"}\n');
    rmSync(join(tree, "notes.txt"));
    writeFileSync(join(tree, "backdoor.sh"), "#!/bin/sh\n");
    expect(samhain("check").status).toBe(0);
    const changed = await d.waitAlert("the changed file", (a) => a.engine === "samhain" && a.summary.includes(`${tree}/config.json: checksum`));
    expect(changed).toMatchObject({ rule: "samhain/policy-readonly", severity: "critical", category: "PERSISTENCE" });
    expect(changed.mitre).toContain("T1565.001");
    expect(changed.summary).toMatch(/size 15 -> 37/);
    const missing = await d.waitAlert("the removed file", (a) => a.rule === "samhain/policy-missing");
    expect(missing.event.file?.path).toBe(`${tree}/notes.txt`);
    const added = await d.waitAlert("the added file", (a) => a.rule === "samhain/policy-added");
    expect(added.event.file?.path).toBe(`${tree}/backdoor.sh`);
    const exit = await d.waitAlert("samhain's exit", (a) => a.rule === "sensor-samhain-stopped");
    expect(exit.severity).toBe("warning");
    const st = await d.api<{ sources: { name: string; events: number; parse_errors: number }[] }>("/api/status");
    expect(st.sources.find((s) => s.name === "samhain")).toMatchObject({ parse_errors: 0 });
  });
});
