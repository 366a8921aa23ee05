import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addressSets, dnsServer, KmsgReader, parseFlowLine, tableScript } from "../../../src/sources/netfilter/index.js";
import { IS_ROOT, waitFor } from "../../helpers/system.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures");

const NFT = "/usr/sbin/nft";
const spec = { log: { min: 1000, except: [1500] }, prefix: "CLAWAV_NET", ratePerSecond: 50 } as const;
const egress = { uids: [1001, 1002], allowed: ["192.0.2.10", "198.51.100.0/24", "2001:db8::/32"], dns: ["127.0.0.53", "[::1]:5353"] };

describe("clawav's nftables table", () => {
  it("logs new outbound flows of the watched uids, rate-limited, with the uid in the line", () => {
    const s = tableScript(spec);
    expect(s).toContain('meta skuid >= 1000 meta skuid != { 1500 } ct state new oif != lo limit rate 50/second burst 100 packets log prefix "CLAWAV_NET " flags skuid');
    expect(s).not.toContain("egress");
    expect(tableScript({ ...spec, log: { uids: [1002, 1001, 1001] } })).toContain("meta skuid { 1001, 1002 } ct state new");
  });

  it("with egress control, an agent's flow to anywhere not allowed is logged as a drop and refused; allowed ones go on to the flow log", () => {
    const s = tableScript({ ...spec, egress });
    expect(s).toContain("set egress_uids { type uid; elements = { 1001, 1002 } }");
    expect(s).toContain("elements = { 127.0.0.0/8, 192.0.2.10, 198.51.100.0/24 }");
    expect(s).toContain("elements = { 2001:db8::/32, ::1 }");
    expect(s).toContain("ip daddr @dns4 meta l4proto { tcp, udp } th dport { 53, 5353 } return");
    expect(s).toContain('log prefix "CLAWAV_NET_DROP " flags skuid');
    expect(s.indexOf("meta skuid @egress_uids jump egress")).toBeLessThan(s.indexOf('log prefix "CLAWAV_NET "'));
    expect(s).toMatch(/ip daddr @allowed4 return/);
  });

  it("refuses what would break the script: a bad address, a bad prefix, a bad resolver", () => {
    expect(() => addressSets(["10.0.0.0/33"])).toThrow(/not an address or CIDR/);
    expect(() => addressSets(["1.2.3.4; flush ruleset"])).toThrow(/not an address or CIDR/);
    expect(() => tableScript({ ...spec, prefix: 'X" accept' })).toThrow(/log prefix/);
    expect(dnsServer("1.1.1.1:5353")).toEqual({ address: "1.1.1.1", port: 5353 });
    expect(dnsServer("::1")).toEqual({ address: "::1", port: 53 });
    expect(() => dnsServer("resolver.example")).toThrow(/not a DNS server/);
  });

  it.skipIf(!IS_ROOT || !existsSync(NFT))("nft itself accepts both scripts (checked, not applied)", () => {
    for (const s of [tableScript(spec), tableScript({ ...spec, egress })]) {
      const r = spawnSync(NFT, ["-c", "-f", "-"], { input: s, encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
  });
});

describe("the kernel's log lines of the table", () => {
  // Recorded from this kernel's /dev/kmsg while test/e2e/netfilter.test.ts ran.
  const recorded = readFileSync(join(FIXTURES, "netfilter", "kmsg.txt"), "utf8").trim().split("\n").map((l) => l.slice(l.indexOf(";") + 1));
  it("reads a logged flow and a drop, with addresses, ports and the uid", () => {
    expect(parseFlowLine(recorded[0]!, "CLAWAV_NET")).toEqual({ verdict: "logged", out: "cnf7578", src: "10.203.0.1", dst: "10.203.0.2", protocol: "tcp", sport: 60544, dport: 8080, uid: 1001, gid: 1001 });
    expect(parseFlowLine(recorded[1]!, "CLAWAV_NET")).toMatchObject({ verdict: "dropped", dst: "10.203.0.6", protocol: "tcp", dport: 8080, uid: 1001 });
    // IPv6 and UDP lines have the same fields (the kernel's nf_log format).
    expect(parseFlowLine("CLAWAV_NET_DROP IN= OUT=eth0 SRC=2001:db8::1 DST=2001:db8::2 LEN=80 PROTO=UDP SPT=5000 DPT=53 LEN=40 UID=1002 GID=1002 ", "CLAWAV_NET")).toMatchObject({ verdict: "dropped", dst: "2001:db8::2", protocol: "udp", dport: 53, uid: 1002 });
  });

  it.skipIf(!IS_ROOT)("the kmsg reader skips what the ring held before it, then reads each new record whole", async () => {
    const got: string[] = [];
    const tag = `clawav-kmsg-test-${process.pid}-${Date.now()}`;
    writeFileSync("/dev/kmsg", `${tag} before\n`);
    const r = new KmsgReader((m) => { if (m.includes(tag)) got.push(m); }, { intervalMs: 20 });
    r.start();
    writeFileSync("/dev/kmsg", `${tag} after a=1 b=2\n`);
    await waitFor("the record", () => (got.length > 0 ? true : undefined), 5000, 20);
    r.stop();
    expect(got).toEqual([`${tag} after a=1 b=2`]);
  });

  it("leaves other lines alone and counts a line of the prefix that says nothing", () => {
    expect(parseFlowLine("audit: type=1400 apparmor=DENIED", "CLAWAV_NET")).toBeUndefined();
    expect(parseFlowLine("OTHER_NET IN= OUT=eth0 SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP", "CLAWAV_NET")).toBeUndefined();
    expect(parseFlowLine("CLAWAV_NET IN= OUT=eth0 garbage", "CLAWAV_NET")).toEqual({ bad: "no SRC, DST or PROTO after CLAWAV_NET" });
  });
});
