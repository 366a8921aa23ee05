import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/index.js";
import { createDetector, hostCheckOf } from "../../src/detect/index.js";
import { identityByName, resolveHosts } from "../../src/enrich/index.js";
import { connect } from "./events.js";

const cfg = (network: Record<string, unknown>) => configSchema.parse({ network });

describe("allowed hosts and addresses", () => {
  it("names match exactly or as a parent domain at a label boundary; addresses come from the resolver and CIDRs", () => {
    const hc = hostCheckOf(cfg({ allowed_hosts: ["example.org", "192.0.2.7"], allowed_cidrs: ["198.51.100.0/24", "2001:db8::/32"] }), (h) => (h === "example.org" ? ["203.0.113.10"] : []));
    expect(hc.hostAllowed("example.org")).toBe(true);
    expect(hc.hostAllowed("api.example.org")).toBe(true);
    expect(hc.hostAllowed("badexample.org")).toBe(false);
    expect(hc.hostAllowed("example.org.evil.test")).toBe(false);
    expect(hc.addressAllowed("203.0.113.10")).toBe(true);
    expect(hc.addressAllowed("::ffff:203.0.113.10")).toBe(true);
    expect(hc.addressAllowed("192.0.2.7")).toBe(true);
    expect(hc.addressAllowed("198.51.100.200")).toBe(true);
    expect(hc.addressAllowed("198.51.101.1")).toBe(false);
    expect(hc.addressAllowed("2001:db8::5")).toBe(true);
    expect(hc.addressAllowed("2001:db9::5")).toBe(false);
  });
  it("resolveHosts resolves names once, before judging (localhost via the system resolver, no network)", async () => {
    const config = cfg({ allowed_hosts: ["localhost", "no-such-host.invalid"] });
    const resolve = await resolveHosts(config.network.allowed_hosts, 1500);
    expect(resolve("localhost")).toContain("127.0.0.1");
    expect(resolve("no-such-host.invalid")).toEqual([]);
    const d = createDetector({ config, identity: identityByName, resolveHost: resolve, policyDirs: [join(process.cwd(), "policies")] });
    expect(d.evaluate(connect("/usr/bin/nc", "127.0.0.1", 8080, ["nc", "localhost", "8080"])).map((a) => a.rule)).not.toContain("net.tool-connect");
    expect(d.evaluate(connect("/usr/bin/nc", "127.0.0.2", 8080, ["nc", "127.0.0.2", "8080"])).map((a) => a.rule)).toContain("net.tool-connect");
  });
});
