// Entries recorded from the real journald (test/fixtures/journald/record.sh wrote them, journalctl
// --output=json --all read them back), and lines journalctl would never write.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeBytes, parseJournalLine, type JournalParse } from "../../../src/sources/journald/index.js";

const lines = readFileSync(join(import.meta.dirname, "../../fixtures/journald/entries.jsonl"), "utf8").trim().split("\n");
let n = 0;
const ctx = { id: () => (++n).toString(16).padStart(16, "0"), nodeId: "node-1" };
const parsed = lines.map((l) => ({ raw: JSON.parse(l) as Record<string, unknown>, r: parseJournalLine(l, ctx) }));
/** The recorded entry a program wrote, by its SYSLOG_IDENTIFIER (or the message's start). */
const entry = (pick: (raw: Record<string, unknown>) => boolean) => {
  const found = parsed.filter((p) => pick(p.raw));
  expect(found).toHaveLength(1);
  return found[0]!;
};
const byId = (id: string) => entry((raw) => raw.SYSLOG_IDENTIFIER === id);
const event = (r: JournalParse) => {
  if (!r.ok) throw new Error(r.error);
  return r.event;
};
const MARK = "clawav-fixture-12046";

describe("parseJournalLine on recorded entries", () => {
  it("an sshd entry of the authpriv facility is an auth log event with its time, host and pid", () => {
    const { raw, r } = byId("sshd");
    expect(r).toMatchObject({ ok: true, cursor: raw.__CURSOR });
    const e = event(r);
    expect(e).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      ts: 1796570136800045 / 1000,
      source: "journald",
      kind: "log",
      node_id: "node-1",
      fidelity: "userspace",
      log: { log: "auth", file: "journal", host: "vm", program: "sshd", pid: 4242, message: `Failed password for invalid user bob from 192.0.2.7 port 4242 ssh2 ${MARK}` },
    });
  });

  it("systemd-cat's stdout entry: no facility is syslog, and the pid is journald's _PID", () => {
    expect(event(byId("sudo").r).log).toEqual({ log: "syslog", file: "journal", host: "vm", program: "sudo", pid: 12053, message: `clawavtest : user NOT in sudoers ; PWD=/work ; USER=root ; COMMAND=/usr/bin/id ${MARK}` });
  });

  it("facility 4 (auth) is auth too, and 9 (cron) is not", () => {
    expect(event(byId("mixed").r).log?.log).toBe("auth");
    expect(event(byId("cron").r).log?.log).toBe("syslog");
  });

  it("a MESSAGE that is not UTF-8 (journald writes it as bytes) keeps each stray byte as \\xNN", () => {
    expect(byId("x").raw.MESSAGE).toEqual(expect.arrayContaining([255]));
    expect(event(byId("x").r).log?.message).toBe(`bad \\xff byte ${MARK}`);
    // Valid sequences around stray ones stay characters; a cut sequence and an overlong form do
    // not; the backslash of C:\dir is doubled so it cannot be read as an escape.
    expect(event(byId("mixed").r).log?.message).toBe(`C:\\\\dir café \\xe2\\x82 \\xc0\\xaf 🔑 end ${MARK}`);
  });

  it("a MESSAGE written as text is kept as written (tabs, quotes, backslashes)", () => {
    expect(event(byId("cron").r).log?.message).toBe(`tab\tand quote " and backslash \\ ${MARK}`);
  });

  it("a field given twice keeps both values, each decoded", () => {
    expect(byId("multi").raw.MESSAGE).toEqual([`one ${MARK}`, [116, 119, 111, 32, 254]]);
    expect(event(byId("multi").r).log?.message).toBe(`one ${MARK}\ntwo \\xfe`);
  });

  it("the program is SYSLOG_IDENTIFIER, else the process's _COMM; a SYSLOG_PID that is no pid gives way to _PID", () => {
    const noId = entry((raw) => raw.SYSLOG_IDENTIFIER === undefined);
    expect(event(noId.r).log).toMatchObject({ program: "python3", pid: Number(noId.raw._PID), message: `sent without an identifier ${MARK}` });
    const odd = byId("odd");
    expect(odd.raw.SYSLOG_PID).toBe("not-a-pid");
    expect(event(odd.r).log?.pid).toBe(Number(odd.raw._PID));
  });

  it("an entry without MESSAGE is refused with the reason, and its cursor is still given", () => {
    const { raw, r } = byId("nomsg");
    expect(r).toEqual({ ok: false, error: "entry without MESSAGE", cursor: raw.__CURSOR });
  });

  it("every recorded entry but the one without MESSAGE is an event, each with a fresh id", () => {
    const ok = parsed.filter((p) => p.r.ok).map((p) => event(p.r));
    expect(ok).toHaveLength(lines.length - 1);
    expect(new Set(ok.map((e) => e.id)).size).toBe(ok.length);
  });
});

describe("parseJournalLine on lines that are not entries", () => {
  const sshd = lines.find((l) => l.includes('"SYSLOG_IDENTIFIER":"sshd"'))!;
  const cases: [string, string | RegExp][] = [
    ["", /^not JSON/],
    ["Failed to seek to cursor: Invalid argument", /^not JSON: "Failed to seek/],
    [sshd.slice(0, sshd.length / 2), /^not JSON/],
    ["[1,2]", "not a journal entry (a JSON array)"],
    ["null", "not a journal entry (a JSON null)"],
    ['"MESSAGE"', "not a journal entry (a JSON string)"],
    ['{"__REALTIME_TIMESTAMP":"1","MESSAGE":5}', "MESSAGE: neither text nor bytes"],
    ['{"__REALTIME_TIMESTAMP":"1","MESSAGE":[104,300]}', "MESSAGE: neither text nor bytes"],
    ['{"__REALTIME_TIMESTAMP":"1","MESSAGE":null}', "MESSAGE: neither text nor bytes"],
    ['{"MESSAGE":"no time"}', "entry without a valid __REALTIME_TIMESTAMP"],
    ['{"MESSAGE":"bad time","__REALTIME_TIMESTAMP":"12abc"}', "entry without a valid __REALTIME_TIMESTAMP"],
  ];
  it.each(cases)("%j is an error with its reason, and takes no id", (line, reason) => {
    const before = n;
    const r = parseJournalLine(line, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(reason);
    expect(n).toBe(before);
  });
});

describe("decodeBytes", () => {
  const d = (...b: number[]) => decodeBytes(b);
  it("takes only well-formed UTF-8 as characters", () => {
    expect(d(0x68, 0xc3, 0xa9)).toBe("hé");
    expect(d(0xe2, 0x82, 0xac)).toBe("€");
    expect(d(0xf0, 0x9f, 0x94, 0x91)).toBe("🔑");
    expect(d(0xf4, 0x8f, 0xbf, 0xbf)).toBe("\u{10ffff}");
    // Overlong forms, UTF-16 surrogates, past U+10FFFF, lone continuation bytes, a cut sequence.
    expect(d(0xc0, 0xaf)).toBe("\\xc0\\xaf");
    expect(d(0xe0, 0x80, 0xaf)).toBe("\\xe0\\x80\\xaf");
    expect(d(0xed, 0xa0, 0x80)).toBe("\\xed\\xa0\\x80");
    expect(d(0xf4, 0x90, 0x80, 0x80)).toBe("\\xf4\\x90\\x80\\x80");
    expect(d(0x80, 0x41)).toBe("\\x80A");
    expect(d(0x41, 0xe2, 0x82)).toBe("A\\xe2\\x82");
    expect(d(0x00, 0x0a)).toBe("\u0000\n");
    expect(d()).toBe("");
  });
  it("doubles a backslash, so written text can never pass for a stray byte", () => {
    // The text `\xff` written among bytes that are not UTF-8, and a real 0xff byte.
    expect(d(0x5c, 0x78, 0x66, 0x66, 0x20, 0xff)).toBe("\\\\xff \\xff");
  });
});
