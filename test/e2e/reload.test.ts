import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditdUsable, runAsUser, sleep } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

describe.skipIf(!auditdUsable())("SIGHUP", () => {
  it("reloads policies; a broken policy keeps the old set and raises an alert", async () => {
    const pol = mkdtempSync(join(tmpdir(), "clawav-pol-"));
    const rule = (name: string, word: string) => `rules:\n  - name: "${name}"\n    match:\n      command_contains: ["${word}"]\n    action: warning\n`;
    writeFileSync(join(pol, "local.yaml"), rule("first-rule", "marker-one"));
    const d = DaemonUnderTest.withTempState([], `[policy]\ndirs = ["${pol}"]\n`);
    await d.start();
    await runAsUser("/bin/echo", ["marker-one"]);
    await d.waitAlert("the first rule", (a) => a.rule === "first-rule");
    writeFileSync(join(pol, "local.yaml"), rule("second-rule", "marker-two"));
    d.signal("SIGHUP");
    await sleep(300);
    await runAsUser("/bin/echo", ["marker-two"]);
    await d.waitAlert("the reloaded rule", (a) => a.rule === "second-rule");
    writeFileSync(join(pol, "local.yaml"), "rules:\n  - name: broken\n    match: {command: [curl]\n");
    d.signal("SIGHUP");
    const a = await d.waitAlert("the reload failure", (x) => x.rule === "policy-reload-failed");
    expect(a.summary).toMatch(/local\.yaml:\d+:\d+/);
    await runAsUser("/bin/echo", ["marker-two", "again"]);
    await d.waitAlert("the old rule set still in force", (x) => x.rule === "second-rule" && x.event.process!.argv.includes("again"));
    expect((await d.stop()).code).toBe(0);
  });
});
