import { describe, expect, it } from "vitest";
import { ConfigError, defaultConfig, locateKey, parseConfig, redactConfig } from "../src/config/index.js";
import { EXIT_TABLE } from "../src/errors/index.js";
import { CLI, runCli } from "./helpers/system.js";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function issuesOf(text: string) {
  try {
    parseConfig(text, "c.toml");
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("has built-in defaults that need no file", () => {
    const c = defaultConfig();
    expect(c.mode).toBe("monitor");
    expect(c.api.bind).toBe("127.0.0.1");
    expect(c.api.port).toBe(18791);
    expect(c.auditd.log_path).toBe("/var/log/audit/audit.log");
  });

  it("reads seed 000's reference sections", () => {
    const c = parseConfig(
      `[general]\nwatched_users = ["1000", "1001"]\nmin_alert_level = "critical"\n[slack]\nwebhook_url = "https://hooks.slack.com/services/T/B/SECRET"\n[auditd]\nlog_path = "/tmp/a.log"\nenabled = true\n[api]\nport = 9999\n[policy]\nenabled = true\ndir = "./policies"\n`,
      "c.toml",
    );
    expect(c.general.watched_users).toEqual(["1000", "1001"]);
    expect(c.general.min_alert_level).toBe("critical");
    expect(c.api.port).toBe(9999);
    expect(c.auditd.log_path).toBe("/tmp/a.log");
  });

  it("names file, line and key of an unknown key, with a suggestion", () => {
    const issues = issuesOf(`# c\n[general]\nwatch_all_user = true\n`);
    expect(issues).toEqual([{ file: "c.toml", line: 3, key: "general.watch_all_user", message: 'unknown key (did you mean "watch_all_users"?)' }]);
  });

  it("names the line of a bad value in a nested table and an array of tables", () => {
    const issues = issuesOf(`[api]\nport = 70000\n[[agents]]\nname = "a"\n[[agents]]\nname = "b"\nuid = "x"\n`);
    expect(issues.map((i) => [i.line, i.key])).toEqual([
      [2, "api.port"],
      [7, "agents.1.uid"],
    ]);
  });

  it("reports TOML syntax errors with line and column", () => {
    const issues = issuesOf(`[api]\nport = = 3\n`);
    expect(issues[0]!.line).toBe(2);
    expect(issues[0]!.message).toMatch(/TOML syntax/);
  });

  it("locates dotted keys", () => {
    expect(locateKey(`[a]\nx = 1\nb.c = 2\n`, ["a", "b", "c"])).toBe(3);
  });

  it("redacts secrets when printing", () => {
    const c = parseConfig(`[slack]\nwebhook_url = "https://hooks.slack.com/services/T0/B0/XYZSECRET"\n`, "c.toml");
    const s = JSON.stringify(redactConfig(c));
    expect(s).not.toContain("XYZSECRET");
    expect(s).toContain("https://hooks.slack.com/<redacted>");
  });

  it("redacts a collector's header values, keeps their names", () => {
    const c = parseConfig(`[otel]\nenabled = true\nheaders = { authorization = "Bearer OTELSECRET" }\n[telemetry]\nformat = "json"\nendpoint = "https://collector.example/ingest"\nheaders = { "x-api-key" = "STREAMSECRET" }\n`, "c.toml");
    const s = JSON.stringify(redactConfig(c));
    expect(s).not.toMatch(/OTELSECRET|STREAMSECRET/);
    expect(s).toContain('"authorization":"<redacted>"');
    expect(s).toContain('"x-api-key":"<redacted>"');
  });

  it("names what a remote policy or a telemetry stream lacks, by file, line and key", () => {
    const issue = (text: string) => {
      try {
        parseConfig(text, "c.toml");
      } catch (e) {
        return (e as ConfigError).issues.map((i) => `${i.line ?? "?"}: ${i.key}: ${i.message}`);
      }
      return [];
    };
    expect(issue(`[policy]\nsource = "remote"\nurl = "https://policy.example/b.json"\n`)).toEqual([expect.stringMatching(/^1: policy.public_key_file: source = "remote" needs public_key_file/) as unknown]);
    expect(issue(`[telemetry]\nformat = "grpc"\n`)).toEqual([expect.stringMatching(/telemetry.endpoint: format = "grpc" needs an endpoint/) as unknown]);
    expect(issue(`[telemetry]\nformat = "json"\nendpoint = "127.0.0.1:9000"\n`)).toEqual([expect.stringMatching(/^3: telemetry.endpoint: format = "json" posts to an http/) as unknown]);
  });

  it("config check exits 65 (a file you gave is wrong) with file:line:key and no stack trace; 66 for a file it cannot read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-cfg-"));
    const f = join(dir, "config.toml");
    writeFileSync(f, `[auditd]\nlog_pth = "/x"\n`);
    const r = await runCli(["config", "check", f]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`clawav: ${f}:2: auditd.log_pth: unknown key (did you mean "log_path"?)\n`);
    const ok = await runCli(["config", "check", join(dir, "missing.toml")]);
    expect(ok.code).toBe(66);
    expect(ok.stderr).not.toMatch(/at .*\.js/);
  });
});

describe.skipIf(!existsSync(CLI))("clawav --version", () => {
  it("says clawav, its version and the Node.js it runs on", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^clawav \\d+\\.\\d+\\.\\d+ \\(node ${process.versions.node.replace(/\./g, "\\.")}\\)\\n$`));
  });
});

describe("every check run makes, config check makes", () => {
  it("refuses keys nothing implements yet, rather than ignore them, naming line and key", () => {
    const issues = issuesOf(`[general]\nlog_file = "/var/log/clawav.log"\n[network]\nsource = "journald"\nallowed_hosts = ["github.com"]\n[secureclaw]\nenabled = true\n[scans]\ninterval = 60\n`);
    expect(issues.map((i) => `${i.line}:${i.key}`)).toEqual(["2:general.log_file"]);
    expect(issues[0]!.message).toMatch(/not supported yet/);
  });

  it("the netfilter sensor's kernel log: kmsg, journald or a file; anything else names the line", () => {
    expect(parseConfig(`[network]\nsource = "file"\nlog_path = "/var/log/kern.log"\n`, "c.toml").network).toMatchObject({ source: "file", log_path: "/var/log/kern.log" });
    expect(issuesOf(`[network]\nsource = "syslog"\n`).map((i) => `${i.line}:${i.key}`)).toEqual(["2:network.source"]);
    expect(issuesOf(`[network]\nlog_path = "kern.log"\n`).map((i) => `${i.line}:${i.key}: ${i.message}`)).toEqual(["2:network.log_path: an absolute path"]);
  });

  it("refuses a bad CIDR, a bind that is no address, a file: URL and timers longer than Node can keep, naming line and key", () => {
    const issues = issuesOf(`[network]\nallowed_cidrs = ["10.0.0.0/33"]\n[api]\nbind = "999.1.1.1"\n[alerts]\nwebhook_url = "file:///etc/passwd"\nheartbeat_interval = 2592000\n[auditd]\neoe_timeout_ms = 3000000000\n`);
    expect(issues.map((i) => `${i.line}:${i.key}: ${i.message}`)).toEqual([
      "2:network.allowed_cidrs.0: expected an IP address or a CIDR block like 10.0.0.0/8 or 2001:db8::/32",
      "4:api.bind: expected an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost",
      "6:alerts.webhook_url: expected an http:// or https:// URL",
      "7:alerts.heartbeat_interval: at most 2073600 (24 days): longer timers cannot be kept",
      "9:auditd.eoe_timeout_ms: at most 2073600000 (24 days): longer timers cannot be kept",
    ]);
    const ok = parseConfig(`[network]\nallowed_cidrs = ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]\n[api]\nbind = "::1"\n`, "ok.toml");
    expect([ok.network.allowed_cidrs, ok.api.bind]).toEqual([["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"], "::1"]);
  });
});

describe("exit codes", () => {
  it("come from one table, printed by --help; a usage error is 64", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const [code, meaning] of EXIT_TABLE) expect(help.stdout).toContain(`${String(code).padStart(2)}  ${meaning}`);
    const bad = await runCli(["no-such-command"]);
    expect(bad.code).toBe(64);
    expect((await runCli(["config", "check", "--no-such-flag"])).code).toBe(64);
  });
});

describe("config check looks at this machine as run would", () => {
  it("names the line of a watched user that does not exist (exit 65); an existing name or a uid is OK", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-cfg-users-"));
    const f = join(dir, "config.toml");
    writeFileSync(f, `[general]\nwatched_users = ["root", "1000",\n  "no-such-user-x"]\n`);
    const r = await runCli(["config", "check", f]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`clawav: ${f}:2: general.watched_users.2: no such user "no-such-user-x" on this machine (give a uid or an existing user name)\n`);
    writeFileSync(f, `[general]\nwatched_users = ["root", "1000"]\n`);
    expect((await runCli(["config", "check", f])).code).toBe(0);
  });

  it("names the line of an agent profile that is not shipped; a shipped one and full are OK", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-cfg-profile-"));
    const f = join(dir, "config.toml");
    writeFileSync(f, `mode = "monitor"\n\n[profile]\nname = "opencalw"\n`);
    const r = await runCli(["config", "check", f]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`clawav: ${f}:4: profile.name: no agent profile "opencalw": known profiles are claude-code, clawbot, full, moltbot, openclaw (clawav profiles list)\n`);
    for (const name of ["openclaw", "full"]) {
      writeFileSync(f, `[profile]\nname = "${name}"\n`);
      expect((await runCli(["config", "check", f])).code).toBe(0);
    }
  });
});
