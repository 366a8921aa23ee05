import { afterAll, describe, expect, it } from "vitest";
import { auditdUsable, runAsUser, sleep } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { TestDnsServer } from "../helpers/dns-server.js";

/**
 * A connect is judged by the allowed name its address was resolved from: the daemon asks a real
 * DNS server (here one on loopback, named in network.dns_servers) and asks again on the TTL.
 */
describe.skipIf(!auditdUsable())("allowed hosts by their resolved addresses, live", () => {
  const dns = new TestDnsServer();
  afterAll(() => dns.stop());

  it("a connect to an allowed name's current address raises nothing for the connect; another address does", async () => {
    await dns.start();
    dns.table.set("api.allowed.test", { addresses: ["127.0.0.9"], ttl: 60 });
    const cfg = `[network]\nallowed_hosts = ["api.allowed.test"]\ndns_servers = ["127.0.0.1:${dns.port}"]\n`;
    const d = DaemonUnderTest.withTempState([], cfg);
    await d.start();
    try {
      const tag = `allowed-${Date.now()}`;
      await runAsUser("curl", ["-s", "-m", "1", `http://127.0.0.9:9/${tag}`]);
      await runAsUser("curl", ["-s", "-m", "1", `http://127.0.0.11:9/${tag}`]);
      const good = await d.waitEvent("the connect to 127.0.0.9", (e) => e.kind === "net" && e.net?.address === "127.0.0.9" && e.net.port === 9);
      const bad = await d.waitEvent("the connect to 127.0.0.11", (e) => e.kind === "net" && e.net?.address === "127.0.0.11" && e.net.port === 9);
      await sleep(300);
      expect(good.net!.resolved_host).toBe("api.allowed.test");
      expect(d.alerts.filter((a) => a.event_id === good.id).map((a) => a.rule)).toEqual([]);
      expect(bad.net!.resolved_host).toBeUndefined();
      expect(d.alerts.filter((a) => a.event_id === bad.id).map((a) => a.rule)).toContain("net.tool-connect");
      expect(dns.queries).toContain("api.allowed.test/1");
    } finally {
      await d.stop();
    }
  });
});
