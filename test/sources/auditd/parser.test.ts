import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeSockaddr, parseRecord, isRecordError, bytesToText } from "../../../src/sources/auditd/index.js";
import { parseLines } from "./fixtures.js";

const T = "msg=audit(1700000000.123:42):";

describe("record parser", () => {
  it("decides hex versus quoted per field, as auditd does", () => {
    const r = parseRecord(`type=EXECVE ${T} argc=3 a0="ls" a1=2D6C61 a2=(null)`);
    if (isRecordError(r)) throw new Error(r.reason);
    expect([r.fields.get("a0"), r.fields.get("a1"), r.fields.get("a2")]).toEqual(["ls", "-la", "(null)"]);
    const s = parseRecord(`type=SYSCALL ${T} arch=c000003e syscall=59 a0=7ffd0000 a1=10 exe="/bin/ls" key=(null)`);
    if (isRecordError(s)) throw new Error(s.reason);
    // SYSCALL's aN are register values, not strings
    expect(s.fields.get("a0")).toBe("7ffd0000");
    expect(s.fields.get("key")).toBe("(null)");
  });

  it("parses node= prefixes, timestamps and serials", () => {
    const r = parseRecord(`node=web1 type=CWD ${T} cwd="/root"`);
    if (isRecordError(r)) throw new Error(r.reason);
    expect([r.node, r.type, r.sec, r.ms, r.serial, r.fields.get("cwd")]).toEqual(["web1", "CWD", 1700000000, 123, 42, "/root"]);
  });

  it("lifts the fields of USER_* msg='...' to the top", () => {
    const r = parseRecord(`type=USER_CMD ${T} pid=5 uid=0 auid=1000 ses=2 msg='cwd="/home/u" cmd=6C73202D6C exe="/usr/bin/sudo" terminal=pts/0 res=success'`);
    if (isRecordError(r)) throw new Error(r.reason);
    expect([r.fields.get("cmd"), r.fields.get("exe"), r.fields.get("res")]).toEqual(["ls -l", "/usr/bin/sudo", "success"]);
  });

  it("does not end msg='...' at a quote inside a double-quoted value", () => {
    const r = parseRecord(`type=USER_AUTH ${T} pid=5 uid=0 msg='op=PAM:authentication acct="it's" exe="/usr/bin/python3" res=failed'`);
    if (isRecordError(r)) throw new Error(r.reason);
    expect([r.fields.get("acct"), r.fields.get("exe"), r.fields.get("res")]).toEqual(["it's", "/usr/bin/python3", "failed"]);
  });

  it("says why a line is not a record", () => {
    for (const [line, why] of [
      ["garbage", /no type=/],
      ["type=SYSCALL msg=audit(17000", /timestamp/],
      [`type=PATH ${T} name="unterminated`, /unterminated/],
      ["type=X msg=audit(a.b:c): x=1", /non-numeric/],
    ] as const) {
      const r = parseRecord(line);
      expect(isRecordError(r) ? r.reason : "parsed").toMatch(why);
    }
  });

  it("decodes sockaddr for inet, inet6, unix, abstract unix and netlink", () => {
    expect(decodeSockaddr("0200C0A97F0000010000000000000000")).toEqual({ family: "inet", address: "127.0.0.1", port: 49321 });
    expect(decodeSockaddr("0A001F900000000020010DB8000000000000000000000001000000000")).toBeUndefined(); // odd length
    expect(decodeSockaddr("0A001F9000000000" + "20010DB8000000000000000000000001" + "00000000")).toEqual({ family: "inet6", address: "2001:db8::1", port: 8080 });
    expect(decodeSockaddr("0A001F9000000000" + "00000000000000000000FFFF7F000001" + "00000000")!.address).toBe("::ffff:127.0.0.1");
    expect(decodeSockaddr("01002F746D702F7300")).toEqual({ family: "unix", path: "/tmp/s" });
    expect(decodeSockaddr("0100006162630000")).toEqual({ family: "unix", path: "@abc" });
    expect(decodeSockaddr("1000000000000000")).toEqual({ family: "netlink" });
    // big-endian hosts (ppc64, s390x) write sa_family the other way round
    expect(decodeSockaddr("0002D90300000000")).toEqual({ family: "inet", address: "0.0.0.0", port: 55555 });
  });

  it("renders invalid UTF-8 losslessly and valid UTF-8 as is", () => {
    expect(bytesToText(Buffer.from("héllo"))).toBe("héllo");
    expect(bytesToText(Buffer.from([0x61, 0xff, 0x5c, 0xc3, 0xa9]))).toBe("a\\xff\\\\é");
  });
});

describe("assembler", () => {
  it("assembles interleaved events by (timestamp, serial), with EOE", () => {
    const { events } = parseLines([
      `type=SYSCALL msg=audit(1.001:1): arch=c000003e syscall=59 success=yes exit=0 pid=10 ppid=1 uid=1000 auid=1000 euid=1000 comm="ls" exe="/bin/ls"`,
      `type=SYSCALL msg=audit(1.001:2): arch=c000003e syscall=42 success=yes exit=0 pid=11 ppid=1 uid=1000 auid=1000 euid=1000 comm="nc" exe="/bin/nc"`,
      `type=EXECVE msg=audit(1.001:1): argc=2 a0="ls" a1="-l"`,
      `type=SOCKADDR msg=audit(1.001:2): saddr=02000050C0A800010000000000000000`,
      `type=EOE msg=audit(1.001:2):`,
      `type=EOE msg=audit(1.001:1):`,
    ]);
    expect(events.map((e) => [e.serial, e.kind])).toEqual([[2, "net"], [1, "exec"]]);
    expect(events[0]!.net).toEqual({ family: "inet", address: "192.168.0.1", port: 80 });
    expect(events[1]!.process!.argv).toEqual(["ls", "-l"]);
    expect(events[1]!.record_types).toEqual(["SYSCALL", "EXECVE", "EOE"]);
  });

  it("folds .. and . in PATH names, absolute ones included, so /tmp/../etc/shadow is /etc/shadow", () => {
    const { events } = parseLines([
      `type=SYSCALL msg=audit(1.0:9): arch=c000003e syscall=257 success=no exit=-13 pid=5 ppid=1 uid=1000 auid=1000 euid=1000 comm="cat" exe="/usr/bin/cat"`,
      `type=CWD msg=audit(1.0:9): cwd="/home/u"`,
      `type=PATH msg=audit(1.0:9): item=0 name="/tmp/../etc/./shadow" inode=5 nametype=NORMAL`,
      `type=PATH msg=audit(1.0:9): item=1 name="../u/.ssh/id_rsa" inode=6 nametype=NORMAL`,
      `type=PROCTITLE msg=audit(1.0:9): proctitle=636174`,
    ]);
    expect(events[0]!.file!.items.map((i) => i.name)).toEqual(["/etc/shadow", "/home/u/.ssh/id_rsa"]);
  });

  it("names syscalls from the event's own arch (x86_64, aarch64, i386)", () => {
    const sc = (arch: string, nr: number) =>
      parseLines([`type=SYSCALL msg=audit(1.0:${nr}): arch=${arch} syscall=${nr} success=yes exit=0 pid=1 ppid=0 uid=0 auid=0 euid=0 comm="x" exe="/x"`]).events[0]!.syscall!.name;
    expect(sc("c000003e", 59)).toBe("execve");
    expect(sc("c00000b7", 221)).toBe("execve");
    expect(sc("40000003", 11)).toBe("execve");
    expect(sc("c000003e", 9999)).toBe("syscall_9999");
  });

  it("flushes an event whose EOE never comes after the window, keeping unknown types raw", () => {
    const lines = [`type=UNKNOWN[1999] msg=audit(10.000:7): something=1`, `type=CWD msg=audit(13.000:8): cwd="/"`];
    const { events, asm } = parseLines(lines, { eoeTimeoutMs: 2000, keepRaw: true });
    expect(events[0]!.record_types).toEqual(["UNKNOWN[1999]"]);
    expect(events[0]!.raw![0]!.text).toBe(lines[0]);
    expect(asm.stats.forcedFlushes).toBe(2);
  });

  it("absorbs an EOE that arrives after its event completed at PROCTITLE", () => {
    const { events, asm } = parseLines([
      `type=SYSCALL msg=audit(1.0:5): arch=c000003e syscall=59 success=yes exit=0 pid=1 ppid=0 uid=0 auid=0 euid=0 comm="x" exe="/x"`,
      `type=PROCTITLE msg=audit(1.0:5): proctitle=6C73002D6C`,
      `type=EOE msg=audit(1.0:5):`,
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]!.process!.argv).toEqual(["ls", "-l"]);
    expect(asm.stats.lateEoe).toBe(1);
  });

  it("counts a 1 MB line, binary garbage and a truncated line as parse errors, with line numbers", () => {
    const { events, asm } = parseLines(["x".repeat(1 << 20), "\u0000\u0001\ufffd\u00ff", `type=SYSCALL msg=audit(1.0:`, `type=CWD msg=audit(1.0:1): cwd="/"`]);
    expect(asm.stats.parseErrors).toBe(3);
    expect(asm.errors.map((e) => e.line)).toEqual([1, 2, 3]);
    expect(asm.errors[0]!.excerpt.length).toBeLessThan(200);
    expect(events).toHaveLength(1);
  });

  it("keeps the first parse errors of a long input (the first is fixed first) and the newest apart", () => {
    const { asm } = parseLines(Array.from({ length: 250 }, (_, i) => `garbage line ${i + 1}`));
    expect(asm.stats.parseErrors).toBe(250);
    expect(asm.errors.map((e) => e.line).slice(0, 3)).toEqual([1, 2, 3]);
    expect(asm.errors).toHaveLength(100);
    expect(asm.recentErrors.map((e) => e.line)).toEqual([241, 242, 243, 244, 245, 246, 247, 248, 249, 250]);
  });

  it("never throws and accounts for every line (property)", () => {
    const fragment = fc.oneof(
      fc.string(),
      fc.constantFrom("type=", "msg=audit(", "1.0:1):", "2.5:9):", " a0=", "=\"", "'", "\u001d", " ", "EOE", "SYSCALL", "PROCTITLE", "EXECVE", "a1[0]=41", "a1_len=2", "saddr=0200", "proctitle=00", "node=x "),
    );
    const line = fc.array(fragment, { maxLength: 12 }).map((p) => p.join(""));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const { events, asm } = parseLines(lines, { eoeTimeoutMs: 1 });
        const nonBlank = lines.filter((l) => l !== "" && l !== "\r").length;
        expect(asm.stats.records + asm.stats.parseErrors).toBe(nonBlank);
        const inEvents = events.reduce((n, e) => n + e.record_types!.length, 0);
        expect(inEvents + asm.stats.lateEoe).toBe(asm.stats.records);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on well-formed records with random field values (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom("SYSCALL", "EXECVE", "PATH", "CWD", "SOCKADDR", "PROCTITLE", "USER_CMD", "EOE"), fc.dictionary(fc.stringMatching(/^[a-z0-9_[\]]{1,8}$/), fc.string()), (type, fields) => {
        const body = Object.entries(fields).map(([k, v]) => `${k}=${v.replace(/\s/g, "")}`).join(" ");
        const { asm } = parseLines([`type=${type} msg=audit(5.5:5): ${body}`]);
        expect(asm.stats.records + asm.stats.parseErrors).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});
