import { describe, expect, it } from "vitest";
import { gaiProgram, parseGaiLine, parseHeartbeat } from "../../src/sources/bpftrace/index.js";
import { DnsAnswersEnricher } from "../../src/enrich/index.js";
import type { Event } from "../../src/events/index.js";

describe("getaddrinfo answers as the probe prints them", () => {
  it("decodes IPv4 (a little-endian u32 of network-order bytes), IPv6 and v4-mapped addresses", () => {
    // 140.82.112.3 in memory order 8c 52 70 03, read as a little-endian u32: 0x0370528c.
    expect(parseGaiLine("4 4242 4241 1001 370528c github.com curl")).toEqual({ pid: 4242, ppid: 4241, uid: 1001, comm: "curl", name: "github.com", address: "140.82.112.3" });
    // 2606:50c0:8000::153: bytes 26 06 50 c0 80 00 00 00 | 00 00 00 00 00 00 01 53.
    expect(parseGaiLine("6 1 0 1000 80c0500626:5301000000000000 GitHub.com. node main")?.address).toBe("2606:50c0:8000::153");
    expect(parseGaiLine("6 1 0 1000 80c0500626:5301000000000000 GitHub.com. node main")).toMatchObject({ name: "github.com", comm: "node main" });
    expect(parseGaiLine("6 1 0 1000 0:100007fffff0000 localhost python3")?.address).toBe("::ffff:127.0.0.1");
    expect(parseGaiLine("6 1 0 1000 0:100000000000000 localhost python3")?.address).toBe("::1");
  });
  it("ignores bpftrace's own lines and anything malformed", () => {
    for (const l of ["Attaching 2 probes...", "", "4 x 1 2 7f000001 a b", "4 1 2 3 7f000001:1 a b", "5 1 2 3 7f000001 a b", "4 1 2 3 7f000001  curl"]) expect(parseGaiLine(l)).toBeUndefined();
  });
  it("reads the heartbeat (how far the program has read) apart from the answers", () => {
    expect(parseHeartbeat("H 123456789012")).toBe(123456789012n);
    expect(parseGaiLine("H 123456789012")).toBeUndefined();
    for (const l of ["H", "H -1", "H 12x", "4 1 2 3 7f000001 a b"]) expect(parseHeartbeat(l)).toBeUndefined();
    expect(gaiProgram("/lib/x86_64-linux-gnu/libc.so.6")).toMatch(/interval:ms:\d+ \{ printf\("H %llu\\n", nsecs\); \}/);
  });
  it("builds the program only for a plain absolute libc path", () => {
    expect(gaiProgram("/lib/x86_64-linux-gnu/libc.so.6")).toContain("uretprobe:/lib/x86_64-linux-gnu/libc.so.6:getaddrinfo");
    expect(() => gaiProgram("/lib/libc.so.6:x { system(\"id\") }")).toThrow(/plain characters/);
  });
});

describe("DnsAnswersEnricher", () => {
  const base = { source: "dns-answers", node_id: "n", fidelity: "kernel" as const };
  const proc = (pid: number, uid = 1000) => ({ pid, ppid: 1, uid, auid: uid, euid: uid, exe: "/usr/bin/python3.11", comm: "python3", argv: ["python3"] });
  const dns = (ts: number, pid: number, name: string, addresses: string[], uid = 1000): Event => ({ ...base, id: `d${ts}`, ts, kind: "dns", process: proc(pid, uid), dns: { name, addresses } });
  const connect = (ts: number, pid: number, address: string, uid = 1000): Event => ({ ...base, id: `c${ts}`, ts, kind: "net", process: proc(pid, uid), net: { family: "inet", address, port: 443 } });

  it("names a connect after the answer its own process got, before another process's for the same address", () => {
    const en = new DnsAnswersEnricher();
    en.enrich(dns(1000, 10, "cdn.evil.example", ["203.0.113.7"]));
    en.enrich(dns(2000, 20, "github.com", ["203.0.113.7"]));
    const c = connect(3000, 10, "203.0.113.7");
    en.enrich(c);
    expect(c.net!.resolved_host).toBe("cdn.evil.example");
    const other = connect(3000, 30, "203.0.113.7");
    en.enrich(other);
    expect(other.net!.resolved_host).toBe("github.com");
  });
  it("never across users, never after the window, never over a name already given", () => {
    const en = new DnsAnswersEnricher({ windowMs: 60_000 });
    en.enrich(dns(1000, 10, "github.com", ["140.82.112.3"], 1001));
    const otherUser = connect(2000, 11, "140.82.112.3", 1000);
    en.enrich(otherUser);
    expect(otherUser.net!.resolved_host).toBeUndefined();
    const late = connect(1000 + 60_001, 10, "140.82.112.3", 1001);
    en.enrich(late);
    expect(late.net!.resolved_host).toBeUndefined();
    const given = connect(2000, 10, "140.82.112.3", 1001);
    given.net!.resolved_host = "api.github.com";
    en.enrich(given);
    expect(given.net!.resolved_host).toBe("api.github.com");
  });
  it("stays bounded and counts what it forgets", () => {
    const en = new DnsAnswersEnricher({ maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) en.enrich(dns(i, 10, `h${i}.example`, [`10.0.${i >> 8}.${i & 255}`]));
    expect(en.status()).toMatchObject({ addresses: 100, evicted: 900 });
  });
});
