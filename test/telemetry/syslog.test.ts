import { describe, expect, it } from "vitest";

import type { Alert } from "../../src/events/index.js";
import { cef, cutUtf8, escapeCefHeader, escapeCefValue, escapeParamValue, frame, headerField, rfc5424, structuredData } from "../../src/telemetry/index.js";

const TS = Date.UTC(2023, 10, 14, 22, 13, 20, 123);

function alertOf(over: Partial<Alert> = {}): Alert {
  return {
    event_id: "ev-1",
    ts: TS,
    severity: "critical",
    category: "CRED_ACCESS",
    rule: "cred.shadow-read",
    engine: "policy",
    summary: "cat read /etc/shadow",
    action: "alert",
    node_id: "node-1",
    policy_version: "p7",
    mitre: ["T1003.008", "T1552"],
    event: {
      id: "ev-1",
      ts: TS,
      source: "auditd",
      kind: "file",
      node_id: "node-1",
      fidelity: "kernel",
      process: { pid: 4242, uid: 1000, user: "bob", exe: "/usr/bin/cat", argv: ["cat", "/etc/shadow"], auid: 1000 },
      file: { path: "/etc/shadow", items: [] },
    },
    ...over,
  };
}

const opts = { hostname: "host1", procId: 99, structured: true };

describe("rfc5424", () => {
  it("a whole message: header, clawav's element, the summary as MSG", () => {
    expect(rfc5424(alertOf(), { ...opts, count: 3 })).toBe(
      '<162>1 2023-11-14T22:13:20.123Z host1 clawav 99 cred.shadow-read [clawav@32473 event_id="ev-1" rule="cred.shadow-read" severity="critical" category="CRED_ACCESS" engine="policy" node_id="node-1" policy_version="p7" mitre="T1003.008,T1552" action="alert" count="3"] cat read /etc/shadow',
    );
  });

  it("PRI is facility * 8 + severity (crit 2, warning 4, info 6), local4 by default", () => {
    expect(rfc5424(alertOf({ severity: "critical" }), opts)).toMatch(/^<162>1 /);
    expect(rfc5424(alertOf({ severity: "warning" }), opts)).toMatch(/^<164>1 /);
    expect(rfc5424(alertOf({ severity: "info" }), opts)).toMatch(/^<166>1 /);
    expect(rfc5424(alertOf({ severity: "info" }), { ...opts, facility: 0 })).toMatch(/^<6>1 /);
    expect(rfc5424(alertOf({ severity: "warning" }), { ...opts, facility: 13 })).toMatch(/^<108>1 /);
    expect(rfc5424(alertOf({ severity: "critical" }), { ...opts, facility: 23 })).toMatch(/^<186>1 /);
    expect(() => rfc5424(alertOf(), { ...opts, facility: 24 })).toThrow(RangeError);
    expect(() => rfc5424(alertOf(), { ...opts, facility: 1.5 })).toThrow(RangeError);
  });

  it('PARAM-VALUE escaping: ", \\ and ] get a backslash, nothing else does', () => {
    expect(escapeParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
    const sd = structuredData(alertOf({ rule: 'r"1\\x]', summary: "not in here" }));
    expect(sd).toContain(' rule="r\\"1\\\\x\\]" ');
    expect(sd).not.toContain("not in here");
    // The only unescaped "]" is the one that closes the element.
    expect(sd.replace(/\\./g, "").indexOf("]")).toBe(sd.replace(/\\./g, "").length - 1);
  });

  it("mitre and count are left out when there is nothing to say", () => {
    const sd = structuredData(alertOf({ mitre: [] }));
    expect(sd).not.toContain("mitre=");
    expect(sd).not.toContain("count=");
    expect(structuredData(alertOf({ mitre: undefined }), 0)).toContain(' count="0"');
  });

  it("MSGID is the rule cut to 32 printable US-ASCII characters, anything else as _", () => {
    const msgid = (rule: string) => rfc5424(alertOf({ rule }), opts).split(" ")[5];
    expect(msgid("sigma/rule with spaces ü\tand a long tail")).toBe("sigma/rule_with_spaces___and_a_l");
    expect(msgid("sigma/rule with spaces ü\tand a long tail")).toHaveLength(32);
    expect(msgid("a".repeat(31) + "bc")).toBe("a".repeat(31) + "b");
    expect(msgid("auth.sudo-refused")).toBe("auth.sudo-refused");
    expect(msgid("")).toBe("-");
    expect(headerField("x".repeat(300), 255)).toHaveLength(255);
  });

  it("empty header fields are NILVALUE; so is a time the format cannot hold", () => {
    const parts = rfc5424(alertOf({ ts: Number.NaN, rule: "" }), { hostname: "", appName: "", structured: false }).split(" ");
    expect(parts.slice(0, 7)).toEqual(["<162>1", "-", "-", "-", "-", "-", "-"]);
    expect(rfc5424(alertOf({ ts: 8.64e15 }), opts).split(" ")[1]).toBe("-");
    expect(rfc5424(alertOf(), { ...opts, procId: undefined }).split(" ")[4]).toBe("-");
  });

  it("MSG: line breaks and control characters become spaces, no BOM; nothing after an empty summary", () => {
    const m = rfc5424(alertOf({ summary: "one\r\ntwo\nthree\tfour\u001b[31m" }), { ...opts, structured: false });
    expect(m).toBe("<162>1 2023-11-14T22:13:20.123Z host1 clawav 99 cred.shadow-read - one two three four [31m");
    expect(m).not.toContain("\uFEFF");
    expect(rfc5424(alertOf({ summary: "" }), { ...opts, structured: false }).endsWith("cred.shadow-read -")).toBe(true);
  });

  it("structured false with a msg: NILVALUE structured data and that msg (the CEF form)", () => {
    expect(rfc5424(alertOf(), { ...opts, structured: false, msg: "CEF:0|x" })).toBe("<162>1 2023-11-14T22:13:20.123Z host1 clawav 99 cred.shadow-read - CEF:0|x");
  });
});

describe("cef", () => {
  it("a file alert: header, standard extension keys, the summary last", () => {
    expect(cef(alertOf(), "0.1.0", 2)).toBe(
      "CEF:0|clawav|clawav|0.1.0|cred.shadow-read|cat read /etc/shadow|9|rt=1700000000123 externalId=ev-1 cat=CRED_ACCESS dvchost=node-1 act=alert cnt=2 suser=bob suid=1000 spid=4242 sproc=/usr/bin/cat fname=shadow filePath=/etc/shadow cs1Label=policy_version cs1=p7 cs2Label=mitre cs2=T1003.008,T1552 cs3Label=engine cs3=policy msg=cat read /etc/shadow",
    );
  });

  it("a net alert names the destination: dst, dpt, dhost", () => {
    const a = alertOf({ event: { ...alertOf().event, kind: "net", file: undefined, net: { family: "inet", address: "192.0.2.7", port: 8443, resolved_host: "evil.example" } } });
    const line = cef(a, "1");
    expect(line).toContain(" dst=192.0.2.7 dpt=8443 dhost=evil.example ");
    expect(line).not.toContain("fname=");
  });

  it("severity on CEF's scale: info 3, warning 6, critical 9", () => {
    expect(cef(alertOf({ severity: "info" }), "1").split("|")[6]).toBe("3");
    expect(cef(alertOf({ severity: "warning" }), "1").split("|")[6]).toBe("6");
    expect(cef(alertOf({ severity: "critical" }), "1").split("|")[6]).toBe("9");
  });

  it("header escaping: \\ and | (and = left alone); line breaks as spaces", () => {
    expect(escapeCefHeader("a|b\\c=d\ne")).toBe("a\\|b\\\\c=d e");
    const line = cef(alertOf({ rule: "r|1", summary: "p|q\\r" }), "v|2");
    expect(line.startsWith("CEF:0|clawav|clawav|v\\|2|r\\|1|p\\|q\\\\r|9|")).toBe(true);
  });

  it("extension escaping: \\ and =, line breaks as \\n and \\r; | left alone", () => {
    expect(escapeCefValue("a=b\\c\nd\re|f")).toBe("a\\=b\\\\c\\nd\\re|f");
    const line = cef(alertOf({ summary: "x=1\\y\nz|w" }), "1");
    expect(line.endsWith(" msg=x\\=1\\\\y\\nz|w")).toBe(true);
  });

  it("the user a process acts as goes in duser only when it differs", () => {
    const ev = alertOf().event;
    expect(cef(alertOf({ event: { ...ev, process: { ...ev.process!, euid_user: "root" } } }), "1")).toContain(" suser=bob suid=1000 duser=root ");
    expect(cef(alertOf({ event: { ...ev, process: { ...ev.process!, euid_user: "bob" } } }), "1")).not.toContain("duser=");
  });
});

describe("framing and size", () => {
  it("octet counting: the byte length, a space, the message", () => {
    expect(frame("<13>1 - - - - - - é").toString("utf8")).toBe("20 <13>1 - - - - - - é");
  });

  it("a cut keeps whole UTF-8 characters and drops a dangling escape", () => {
    expect(cutUtf8("abé", 3)).toBe("ab");
    expect(cutUtf8("abé", 4)).toBe("abé");
    expect(cutUtf8("ab\\=c", 3)).toBe("ab");
    expect(cutUtf8("a\\\\b", 3)).toBe("a\\\\");
  });
});
