// The firewall sensor on the live daemon against the real nftables: a table added and then
// deleted by root (as an agent with sudo would) is seen as two changes, each a critical alert
// carrying the diff. The table only drops traffic to 192.0.2.1 (TEST-NET-1), never loopback.
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { commandExists, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

const live = process.getuid?.() === 0 && commandExists("nft");
const nft = (...args: string[]) => spawnSync("nft", args, { encoding: "utf8" });

describe.skipIf(!live)("firewall sensor (real nftables)", () => {
  let d: DaemonUnderTest | undefined;
  afterAll(async () => {
    nft("delete", "table", "inet", "clawav_fw_test");
    expect((await d?.stop())?.code).toBe(0);
  });

  it("a rule added and a table deleted: each a critical SEC_TAMPER alert with the diff; status shows the sensor", async () => {
    nft("delete", "table", "inet", "clawav_fw_test");
    d = DaemonUnderTest.withTempState([], "[firewall]\nenabled = true\ninterval = 1\n");
    await d.start();
    await waitFor("the firewall sensor's first snapshot", async () => {
      const st = await d!.api<{ sources: { name: string; state: string }[] }>("/api/status");
      return st.sources.some((s) => s.name === "firewall" && s.state === "running") ? true : undefined;
    });
    for (const cmd of [
      ["add", "table", "inet", "clawav_fw_test"],
      ["add", "chain", "inet", "clawav_fw_test", "out", "{ type filter hook output priority 0 ; policy accept ; }"],
      ["add", "rule", "inet", "clawav_fw_test", "out", "ip", "daddr", "192.0.2.1", "drop"],
    ]) expect(nft(...cmd).status, cmd.join(" ")).toBe(0);
    const added = await d.waitAlert("the added table", (a) => a.rule === "sensor-firewall-changed" && a.summary.includes("+ \t\tip daddr 192.0.2.1 drop"));
    expect(added).toMatchObject({ severity: "critical", category: "SEC_TAMPER", engine: "sensor" });
    expect(added.mitre).toContain("T1562.004");
    expect(nft("delete", "table", "inet", "clawav_fw_test").status).toBe(0);
    const removed = await d.waitAlert("the deleted table", (a) => a.rule === "sensor-firewall-changed" && a.summary.includes("- table inet clawav_fw_test {"));
    expect(removed.summary).toContain("- \t\tip daddr 192.0.2.1 drop");
    const st = await d.api<{ sources: { name: string; events: number }[] }>("/api/status");
    expect(st.sources.find((s) => s.name === "firewall")!.events).toBeGreaterThanOrEqual(2);
  });
});
