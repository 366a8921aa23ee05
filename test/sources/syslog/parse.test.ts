// Lines as rsyslog writes them (Debian 12: RFC 3339 timestamps; older: `Mmm dd hh:mm:ss`), and
// the auth judgments made of them.
import { describe, expect, it } from "vitest";
import { authAlerts } from "../../../src/detect/auth.js";
import { compileSigmaText, SigmaInput } from "../../../src/detect/sigma/index.js";
import { parseSyslogLine } from "../../../src/sources/syslog/index.js";

let n = 0;
const ctx = { id: () => (++n).toString(16).padStart(16, "0"), nodeId: "n", now: Date.parse("2026-12-04T05:00:00Z"), file: "/var/log/auth.log", log: "auth" as const };
const parse = (l: string) => {
  const r = parseSyslogLine(l, ctx);
  if (!r.ok) throw new Error(r.error);
  return r.event;
};

describe("parseSyslogLine", () => {
  it("RFC 3339 and the older format, with and without a pid", () => {
    expect(parse("2026-12-04T04:18:47.909242+00:00 vm sudo: clawavtest : user NOT in sudoers ; PWD=/work ; USER=root ; COMMAND=/usr/bin/true")).toMatchObject({
      ts: Date.parse("2026-12-04T04:18:47.909Z"),
      kind: "log",
      source: "syslog",
      log: { log: "auth", host: "vm", program: "sudo", message: "clawavtest : user NOT in sudoers ; PWD=/work ; USER=root ; COMMAND=/usr/bin/true" },
    });
    const old = parse("Dec  4 04:18:42 vm sshd[4242]: Failed password for invalid user bob from 192.0.2.7 port 4242 ssh2");
    expect(old.log).toMatchObject({ program: "sshd", pid: 4242, message: "Failed password for invalid user bob from 192.0.2.7 port 4242 ssh2" });
    expect(old.ts).toBe(Date.UTC(2026, 11, 4, 4, 18, 42));
    // A December line read in January is last year's.
    expect(parseSyslogLine("Dec 31 23:59:59 vm cron[1]: x", { ...ctx, now: Date.parse("2027-01-01T00:00:10Z") })).toMatchObject({ ok: true, event: { ts: Date.UTC(2026, 11, 31, 23, 59, 59) } });
  });
  it("a line of another shape is an error with the reason", () => {
    expect(parseSyslogLine("  continued text", ctx)).toEqual({ ok: false, error: "not a syslog line (TIMESTAMP HOST PROGRAM[PID]: MESSAGE)" });
    expect(parseSyslogLine("2026-12-04T04:18:47+00:00 vm : empty tag", ctx)).toEqual({ ok: false, error: "no PROGRAM: before the message" });
  });
});

describe("authAlerts", () => {
  const rules = (l: string) => authAlerts(parse(l), "v").map((a) => `${a.rule} ${a.severity} ${a.category} ${a.mitre?.join(",")}`);
  it("sudo refusals, su failures, ssh failures and root logins, new users; nothing for the rest", () => {
    expect(rules("2026-12-04T04:18:47+00:00 vm sudo: clawavtest : user NOT in sudoers ; PWD=/ ; USER=root ; COMMAND=/usr/bin/id")).toEqual(["auth.sudo-refused warning PRIV_ESC T1548.003"]);
    expect(rules("2026-12-04T04:18:47+00:00 vm sudo: clawavtest : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh")).toEqual(["auth.sudo-refused warning PRIV_ESC T1548.003"]);
    expect(rules("2026-12-04T04:18:47+00:00 vm sudo: pam_unix(sudo:auth): authentication failure; logname= uid=1001")).toEqual([]);
    expect(rules("2026-12-04T04:18:47+00:00 vm su[77]: FAILED SU (to root) clawavtest on pts/0")).toEqual(["auth.su-failed warning PRIV_ESC T1548"]);
    expect(rules("2026-12-04T04:18:47+00:00 vm sshd[9]: Invalid user admin from 192.0.2.8 port 2222")).toEqual(["auth.ssh-failed info CRED_ACCESS T1110"]);
    expect(rules("2026-12-04T04:18:47+00:00 vm sshd[9]: Accepted publickey for root from 192.0.2.9 port 5 ssh2: ED25519 SHA256:x")).toEqual(["auth.ssh-root-login warning PRIV_ESC T1078.003"]);
    expect(rules("2026-12-04T04:18:47+00:00 vm sshd[9]: Accepted publickey for alice from 192.0.2.9 port 5 ssh2")).toEqual([]);
    expect(rules("2026-12-04T04:18:47+00:00 vm useradd[5]: new user: name=backdoor, UID=1002, GID=1002, home=/home/backdoor, shell=/bin/bash, from=/dev/pts/0")).toEqual(["auth.user-added warning PERSISTENCE T1136.001"]);
    expect(rules("2026-12-04T04:18:47+00:00 vm runuser: pam_unix(runuser:session): session opened for user clawavtest(uid=1001) by (uid=0)")).toEqual([]);
  });
  it("only the auth log is judged so", () => {
    const r = parseSyslogLine("2026-12-04T04:18:47+00:00 vm sudo: x : user NOT in sudoers ; COMMAND=/bin/id", { ...ctx, log: "syslog" });
    expect(r.ok && authAlerts(r.event, "v")).toEqual([]);
  });
});

describe("Sigma's builtin rules on log lines", () => {
  const rule = (service: string | undefined, kw: string) => {
    const r = compileSigmaText(`title: t\nlogsource:\n  product: linux\n${service !== undefined ? `  service: ${service}\n` : ""}detection:\n  keywords:\n    - '${kw}'\n  condition: keywords\nlevel: medium\n`, "b.yml");
    if (!("rule" in r)) throw new Error(JSON.stringify(r));
    return r.rule;
  };
  const sshd = new SigmaInput(parse("2026-12-04T04:18:47+00:00 vm sshd[9]: Failed password for invalid user bob from 192.0.2.7 port 22 ssh2"));
  it("service names the program (sshd) or the file (auth, syslog); no service is every line", () => {
    expect(rule("sshd", "Failed password").logsource).toBe("syslog");
    expect(rule("sshd", "Failed password").matches(sshd)).toBe(true);
    expect(rule("sudo", "Failed password").matches(sshd)).toBe(false);
    expect(rule("auth", "Failed password").matches(sshd)).toBe(true);
    expect(rule("syslog", "Failed password").matches(sshd)).toBe(false);
    expect(rule(undefined, "sshd[9]: Failed").matches(sshd)).toBe(true);
    expect(rule(undefined, "Accepted").matches(sshd)).toBe(false);
  });
  it("a service clawav reads no log of is refused by name", () => {
    const r = compileSigmaText("title: t\nlogsource:\n  product: linux\n  service: nginx\ndetection:\n  k:\n    - x\n  condition: k\n", "n.yml");
    expect("refused" in r && r.refused.feature).toBe("logsource service nginx");
  });
});
