import { afterAll, describe, expect, it } from "vitest";
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { auditdUsable, runAsUser, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { ANSWERS, Receiver } from "../helpers/receivers.js";

interface Listed {
  rule: string;
  event_id: string;
  count: number;
}

/**
 * An agent that makes a flood of warnings must not hide its next move: every detection is in the
 * chain and in /api/alerts, while the channel gets no more than its rate limit.
 */
describe.skipIf(!auditdUsable())("a flood of warnings does not hide the next detection", () => {
  const rx = new Receiver(ANSWERS.webhook);
  const dir = mkdtempSync("/tmp/clawav-flood-");
  afterAll(async () => {
    await rx.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("2,000 warnings from one agent, then one distinct warning: in the API and the chain; pushes within the rate limit; suppressed counted", async () => {
    await rx.start();
    chmodSync(dir, 0o755);
    const tool = join(dir, "step");
    copyFileSync("/bin/true", tool);
    chmodSync(tool, 0o755);
    const d = DaemonUnderTest.withTempState(["--alert-enabled", "--alert-webhook-url", rx.url("/hook"), "--alert-rate-limit", "5"]);
    await d.start();
    // Each run of a program from /tmp is a warning (exec.temp-dir), each with its own command line.
    const flood = await runAsUser("bash", ["-c", `for i in $(seq 1 2000); do ${tool} flood-$i; done`]);
    expect(flood.code).toBe(0);
    const marker = `after-flood-${Date.now()}`;
    await runAsUser("curl", ["-s", "-m", "2", "-d", marker, `http://127.0.0.1:9/${marker}`]);
    const distinct = await d.waitAlert("the distinct detection after the flood", (a) => a.rule === "exfil.upload" && JSON.stringify(a.event.process?.argv).includes(marker), 60_000);
    expect(distinct.severity).toBe("warning");
    const status = await waitFor("every flood alert judged", async () => {
      const st = await d.api<{ aggregator: { alerts: number; channels: Record<string, { pushed: number; rate_limited: number; pending_suppressed: number }> } }>("/api/status");
      return st.aggregator.alerts >= 2001 ? st : undefined;
    }, 60_000);

    const listed = await d.api<{ alerts: Listed[]; total: number }>("/api/alerts?limit=1000");
    expect(listed.alerts.some((a) => a.rule === "exfil.upload" && a.event_id === distinct.event_id)).toBe(true);
    expect(listed.alerts.filter((a) => a.rule === "exec.temp-dir").length).toBeGreaterThan(900);

    const hook = status.aggregator.channels.webhook!;
    const pushedAlerts = rx.got.filter((g) => (g.body as { type?: string }).type === "alert");
    expect(pushedAlerts.length).toBeLessThanOrEqual(5);
    expect(hook.pushed).toBeLessThanOrEqual(5);
    expect(hook.rate_limited).toBeGreaterThanOrEqual(1990);
    expect(hook.pending_suppressed).toBeGreaterThanOrEqual(1990);

    expect((await d.stop()).code).toBe(0);
    const chain = readFileSync(join(d.stateDir, "audit.chain"), "utf8");
    expect(chain).toContain(`"event_id":"${distinct.event_id}"`);
    expect(chain.split("\n").filter((l) => l.includes('"rule":"exec.temp-dir"')).length).toBeGreaterThanOrEqual(2000);
  });
});
