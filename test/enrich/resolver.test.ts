import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AllowedNamesResolver } from "../../src/enrich/resolver.js";
import { HostNamesEnricher } from "../../src/enrich/index.js";
import { TestDnsServer } from "../helpers/dns-server.js";
import type { Event } from "../../src/events/index.js";

const connectTo = (address: string): Event => ({ id: "0000000000000001", ts: 1, source: "auditd", kind: "net", node_id: "n", fidelity: "kernel", net: { family: address.includes(":") ? "inet6" : "inet", address, port: 443 } });

describe("allowed names resolved through a real DNS server on loopback, and again when their TTL runs out", () => {
  const dns = new TestDnsServer();
  beforeAll(async () => {
    await dns.start();
  });
  afterAll(() => dns.stop());

  it("names a connect by the allowed name its address belongs to, follows a changed answer, keeps the last one when DNS fails", async () => {
    dns.table.set("api.allowed.test", { addresses: ["127.0.0.9", "::9"], ttl: 1 });
    const r = new AllowedNamesResolver(["api.allowed.test", "192.0.2.1"], { servers: [`127.0.0.1:${dns.port}`], minTtlMs: 200, maxTtlMs: 60_000 });
    const names = new HostNamesEnricher(["api.allowed.test"], () => []);
    const changes: string[][] = [];
    r.onChange = (resolve) => {
      names.update(["api.allowed.test"], resolve);
      changes.push([...resolve("api.allowed.test")]);
    };
    await r.start();
    const e = connectTo("127.0.0.9");
    names.enrich(e);
    expect(e.net!.resolved_host).toBe("api.allowed.test");
    const six = connectTo("::9");
    names.enrich(six);
    expect(six.net!.resolved_host).toBe("api.allowed.test");
    // The CDN moves: after the TTL (1 s) the new address is known, and the old one no longer is.
    dns.table.set("api.allowed.test", { addresses: ["127.0.0.10"], ttl: 1 });
    const deadline = Date.now() + 5000;
    while (changes.length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(changes.at(-1)).toEqual(["127.0.0.10"]);
    const moved = connectTo("127.0.0.10");
    names.enrich(moved);
    expect(moved.net!.resolved_host).toBe("api.allowed.test");
    const old = connectTo("127.0.0.9");
    names.enrich(old);
    expect(old.net!.resolved_host).toBeUndefined();
    // The server stops answering: the last good answer stays, and failures are counted.
    dns.table.delete("api.allowed.test");
    const before = r.stats.failures;
    const until = Date.now() + 5000;
    while (r.stats.failures === before && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    expect(r.stats.failures).toBeGreaterThan(before);
    expect(r.table()("api.allowed.test")).toEqual(["127.0.0.10"]);
    expect(dns.queries.some((q) => q === "api.allowed.test/1")).toBe(true);
    r.stop();
  });
});
