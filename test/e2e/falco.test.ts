// Falco's output on the live daemon: lines in Falco's documented JSON format (Falco itself cannot
// be installed here) appended to the file it would write; each becomes an alert with Falco's
// rule, priority and tags; garbage is counted and raised; a rotated file is followed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditdUsable, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

const alertLine = (rule: string, priority: string, tags: string[], cmd: string) =>
  JSON.stringify({
    hostname: "h",
    output: `12:00:00.000000000: ${priority} ${rule} (command=${cmd})`,
    output_fields: { "proc.cmdline": cmd, "proc.exepath": `/usr/bin/${cmd.split(" ")[0]}`, "proc.name": cmd.split(" ")[0], "proc.pid": 31337, "proc.ppid": 31336, "user.name": "root", "user.uid": 0, "user.loginuid": -1 },
    priority,
    rule,
    source: "syscall",
    tags,
    time: new Date().toISOString().replace("Z", "123456Z"),
  }) + "\n";

describe.skipIf(!auditdUsable())("Falco output on the live daemon", () => {
  let d: DaemonUnderTest;
  let dir = "";
  let log = "";
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "clawav-falco-"));
    log = join(dir, "falco_output.jsonl");
    writeFileSync(log, "");
    d = DaemonUnderTest.withTempState([], `[falco]\nenabled = true\nlog_path = "${log}"\n`);
    await d.start();
  });
  afterAll(async () => {
    expect((await d?.stop())?.code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("an alert Falco wrote: Falco's rule, priority as severity, tags as category and ATT&CK ids, in the chain", async () => {
    appendFileSync(log, alertLine("Read sensitive file untrusted", "Warning", ["T1555", "filesystem", "mitre_credential_access"], "cat /etc/shadow"));
    const a = await d.waitAlert("the Falco alert", (x) => x.engine === "falco");
    expect(a).toMatchObject({ rule: "falco/read-sensitive-file-untrusted", severity: "warning", category: "CRED_ACCESS", mitre: ["T1555"] });
    expect(a.summary).toMatch(/^Read sensitive file untrusted \(falco Warning\): /);
    expect(a.event.process).toMatchObject({ pid: 31337, exe: "/usr/bin/cat", argv: ["cat", "/etc/shadow"] });
    const listed = await d.api<{ alerts: { rule: string; event_id: string }[] }>("/api/alerts?limit=100");
    expect(listed.alerts.some((x) => x.event_id === a.event_id)).toBe(true);
  });

  it("a line that is not a Falco alert is counted and raised; a rotated file is followed", async () => {
    appendFileSync(log, "this is not json\n");
    const bad = await d.waitAlert("the bad line", (x) => x.rule === "sensor-falco-bad-lines");
    expect(bad.summary).toMatch(/not JSON/);
    const st = await d.api<{ sources: { name: string; parse_errors: number; events: number }[] }>("/api/status");
    expect(st.sources.find((s) => s.name === "falco")).toMatchObject({ parse_errors: 1, events: 1 });
    renameSync(log, `${log}.1`);
    writeFileSync(log, "");
    await waitFor("the tailer to see the new file", () => new Promise<true>((r) => setTimeout(() => r(true), 600)));
    appendFileSync(log, alertLine("Terminal shell in container", "Notice", ["container", "mitre_execution", "T1059"], "bash -i"));
    const after = await d.waitAlert("the alert after rotation", (x) => x.rule === "falco/terminal-shell-in-container");
    expect(after).toMatchObject({ severity: "info", category: "EXECUTION", mitre: ["T1059"] });
  });
});
