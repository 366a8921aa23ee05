import { afterAll, describe, expect, it } from "vitest";
import { auditdUsable, runAsUser, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { ANSWERS, Receiver } from "../helpers/receivers.js";

describe.skipIf(!auditdUsable())("alerts reach a loopback webhook from the live daemon", () => {
  const rx = new Receiver(ANSWERS.webhook);
  afterAll(() => rx.stop());

  it("sends a heartbeat at start, then the alert with the same event_id as the API and the chain", async () => {
    await rx.start();
    const d = DaemonUnderTest.withTempState(["--alert-enabled", "--alert-webhook-url", rx.url("/hook?secret=TOPSECRET"), "--alert-min-severity", "warning", "--node-id", "test-node", "--policy-version", "p-7"]);
    await d.start();
    await waitFor("the heartbeat", () => rx.got.find((g) => (g.body as { type?: string }).type === "heartbeat"));
    const m = `deliver-${Date.now()}`;
    await runAsUser("bash", ["-c", `echo ZWNobyBoaQo= | base64 -d | sh # ${m}`]);
    const a = await d.waitAlert("the alert", (x) => x.rule === "code.decode-exec" && JSON.stringify(x.event.process?.argv).includes(m));
    const got = await waitFor("the webhook payload", () => rx.got.find((g) => (g.body as { event_id?: string }).event_id === a.event_id));
    expect(got.body).toMatchObject({ type: "alert", severity: "critical", category: "EVASION", rule: "code.decode-exec", node_id: "test-node", policy_version: "p-7" });
    expect(d.stderr).not.toContain("TOPSECRET");
    expect((await d.stop()).code).toBe(0);
  });
});
