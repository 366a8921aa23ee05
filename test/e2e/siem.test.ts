// The SIEM output against Debian's real rsyslog as the collector: RFC 5424 over TCP and over TLS
// (rsyslog-gnutls), clawav's structured data and CEF. rsyslog parses what arrives (its RFC 5424
// parser, mmpstrucdata for the structured data) and writes the fields it parsed as JSON lines;
// the tests read those. Each rsyslogd is a child of the test with its own configuration, work
// folder and pid file, listening on 127.0.0.1 only; the system's rsyslogd is left alone.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Alert, Notice } from "../../src/events/index.js";
import { cef, SiemSink, type SiemOptions } from "../../src/telemetry/index.js";
import { VERSION } from "../../src/version.js";
import { makeTestCa, type TestCa } from "../helpers/llm-upstream.js";
import { freePort, hasGtls, Rsyslog, type Received } from "../helpers/rsyslog.js";
import { commandExists, waitFor } from "../helpers/system.js";

const live = commandExists("rsyslogd") && commandExists("openssl");

const TS = Date.UTC(2024, 1, 29, 12, 34, 56, 789);

function alertOf(over: Partial<Alert> = {}): Alert {
  return {
    event_id: "ev-0",
    ts: TS,
    severity: "critical",
    category: "CRED_ACCESS",
    rule: "cred.shadow-read",
    engine: "policy",
    summary: "cat read /etc/shadow",
    action: "alert",
    node_id: "node-siem",
    policy_version: "p7",
    mitre: ["T1003.008"],
    event: {
      id: "ev-0",
      ts: TS,
      source: "auditd",
      kind: "file",
      node_id: "node-siem",
      fidelity: "kernel",
      process: { pid: 4242, uid: 1000, user: "bob", exe: "/usr/bin/cat", argv: ["cat", "/etc/shadow"], auid: 1000 },
      file: { path: "/etc/shadow", items: [] },
    },
    ...over,
  };
}

function noticeOf(alert: Alert, count = 1): Notice {
  return { alert, entry: { key: alert.rule, alert, count, first_ts: alert.ts, last_ts: alert.ts, last_event_id: alert.event_id }, fresh: count === 1, push: [] };
}

/** A CEF line split back into its header and its extension, unescaped. */
function parseCef(line: string): { header: string[]; ext: Record<string, string> } {
  const header: string[] = [];
  let cur = "";
  let i = 0;
  for (; i < line.length && header.length < 7; i++) {
    const c = line[i]!;
    if (c === "\\") cur += line[++i] ?? "";
    else if (c === "|") {
      header.push(cur);
      cur = "";
    } else cur += c;
  }
  const rest = line.slice(i);
  const ext: Record<string, string> = {};
  const keys = [...rest.matchAll(/(?:^| )([A-Za-z0-9]+)=/g)];
  keys.forEach((m, k) => {
    const start = m.index + m[0].length;
    const end = k + 1 < keys.length ? keys[k + 1]!.index : rest.length;
    ext[m[1]!] = rest.slice(start, end).replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch === "r" ? "\r" : ch));
  });
  return { header, ext };
}

describe.skipIf(!live)("SIEM output to a real rsyslog", () => {
  const dirs: string[] = [];
  const collectors: Rsyslog[] = [];
  const sinks: SiemSink[] = [];
  let ca: TestCa;

  const collector = async (tls?: TestCa, port?: number, start = true): Promise<Rsyslog> => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-siem-"));
    dirs.push(dir);
    const r = new Rsyslog(dir, port ?? (await freePort()), tls);
    collectors.push(r);
    if (start) await r.start();
    return r;
  };
  const sink = (o: Partial<SiemOptions> & { port: number }): SiemSink => {
    const s = new SiemSink({ host: "127.0.0.1", transport: "tcp", format: "rfc5424", minSeverity: "info", hostname: "node-siem", reconnectMs: { min: 50, max: 400 }, ...o });
    sinks.push(s);
    return s;
  };

  beforeAll(() => {
    ca = makeTestCa();
    dirs.push(ca.dir);
  });
  afterAll(async () => {
    for (const s of sinks) await s.close(200);
    for (const r of collectors) await r.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("sends a repeat folded into an earlier alert only with repeats", async () => {
    const rs = await collector();
    const s = sink({ port: rs.port });
    s.accept(noticeOf(alertOf({ event_id: "ev-first" })));
    s.accept(noticeOf(alertOf({ event_id: "ev-folded" }), 2));
    s.accept(noticeOf(alertOf({ event_id: "ev-next" })));
    const got = await rs.waitReceived(2);
    await waitFor("the sink to count both as sent", () => (s.status().sent === 2 ? true : undefined));
    expect(got.map((g) => g.parsed["rfc5424-sd"]?.["clawav@32473"]?.event_id)).toEqual(["ev-first", "ev-next"]);
  });

  it("RFC 5424 over TCP: rsyslog parses the header, clawav's structured data and MSG", async () => {
    const rs = await collector();
    const s = sink({ port: rs.port, minSeverity: "warning", repeats: true });
    const nasty = alertOf({ event_id: "ev-nasty", rule: 'r"1\\x]y z', summary: 'read ] "quoted" \\ and\nmore ü', severity: "critical", mitre: ["T1003.008", "T1552"] });
    s.accept(noticeOf(alertOf({ event_id: "ev-info", severity: "info" })));
    s.accept(noticeOf(nasty));
    s.accept(noticeOf(alertOf({ event_id: "ev-repeat", severity: "warning" }), 4));
    const got = await rs.waitReceived(2);
    // One connection, in order: had the info alert been sent, it would have arrived first.
    expect(got.map((g) => g.parsed["rfc5424-sd"]?.["clawav@32473"]?.event_id)).toEqual(["ev-nasty", "ev-repeat"]);
    const [a, b] = got as [Received, Received];
    expect(a).toMatchObject({ version: "1", pri: "162", host: "node-siem", app: "clawav", procid: String(process.pid), msgid: 'r"1\\x]y_z', msg: 'read ] "quoted" \\ and more ü' });
    expect(Date.parse(a.ts)).toBe(TS);
    expect(a.parsed["rfc5424-sd"]).toEqual({
      "clawav@32473": { event_id: "ev-nasty", rule: 'r"1\\x]y z', severity: "critical", category: "CRED_ACCESS", engine: "policy", node_id: "node-siem", policy_version: "p7", mitre: "T1003.008,T1552", action: "alert", count: "1" },
    });
    expect(b).toMatchObject({ pri: "164", msgid: "cred.shadow-read", msg: "cat read /etc/shadow" });
    expect(b.parsed["rfc5424-sd"]?.["clawav@32473"]).toMatchObject({ severity: "warning", count: "4" });
    await waitFor("the sink to count both as sent", () => (s.status().sent === 2 ? true : undefined));
    expect(s.status()).toMatchObject({ sent: 2, queued: 0, dropped: 0, connects: 1, errors: 0, connected: 1, last_error: "" });
  });

  it.skipIf(!hasGtls())("over TLS with the CA file: RFC 5424 and CEF arrive parsed", async () => {
    const rs = await collector(ca);
    const plain = sink({ port: rs.port, transport: "tls", caFile: ca.caFile });
    plain.accept(noticeOf(alertOf({ event_id: "ev-tls" })));
    await rs.waitReceived(1);
    const netAlert = alertOf({
      event_id: "ev-cef",
      severity: "warning",
      category: "DATA_EXFIL",
      rule: "net.exfil|odd",
      summary: "curl sent a=b \\ c | d\nto evil",
      event: { ...alertOf().event, kind: "net", file: undefined, net: { family: "inet", address: "192.0.2.7", port: 8443, resolved_host: "evil.example" } },
    });
    const c = sink({ port: rs.port, transport: "tls", caFile: ca.caFile, format: "cef", repeats: true });
    c.accept(noticeOf(netAlert, 2));
    const got = await rs.waitReceived(2);
    expect(got[0]!.parsed["rfc5424-sd"]?.["clawav@32473"]).toMatchObject({ event_id: "ev-tls", rule: "cred.shadow-read" });
    const line = got[1]!;
    expect(line).toMatchObject({ sd: "-", msgid: "net.exfil|odd", pri: "164", app: "clawav" });
    expect(line.parsed["rfc5424-sd"]).toBeUndefined();
    expect(line.msg).toBe(cef(netAlert, VERSION, 2));
    const { header, ext } = parseCef(line.msg);
    expect(header).toEqual(["CEF:0", "clawav", "clawav", VERSION, "net.exfil|odd", "curl sent a=b \\ c | d to evil", "6"]);
    expect(ext).toMatchObject({ rt: String(TS), externalId: "ev-cef", cat: "DATA_EXFIL", dvchost: "node-siem", act: "alert", cnt: "2", suser: "bob", spid: "4242", sproc: "/usr/bin/cat", dst: "192.0.2.7", dpt: "8443", dhost: "evil.example", cs1Label: "policy_version", cs1: "p7", cs2Label: "mitre", cs2: "T1003.008", msg: "curl sent a=b \\ c | d\nto evil" });
    expect(ext.fname).toBeUndefined();
    for (const x of [plain, c]) expect(x.status()).toMatchObject({ sent: 1, connects: 1, errors: 0, connected: 1 });
  });

  it("TLS refuses a collector whose certificate it cannot verify, or that names another host", async () => {
    // A second server certificate from the same CA, for a name that is not 127.0.0.1.
    execFileSync("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "other.key", "-out", "other.csr", "-subj", "/CN=other.invalid", "-addext", "subjectAltName=DNS:other.invalid"], { cwd: ca.dir, stdio: ["ignore", "ignore", "pipe"] });
    execFileSync("openssl", ["x509", "-req", "-in", "other.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "other.pem", "-days", "2", "-copy_extensions", "copy"], { cwd: ca.dir, stdio: ["ignore", "ignore", "pipe"] });
    const cases = [
      { cert: ca.cert, key: ca.key, caFile: undefined, error: /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/ },
      { cert: readFileSync(join(ca.dir, "other.pem"), "utf8"), key: readFileSync(join(ca.dir, "other.key"), "utf8"), caFile: ca.caFile, error: /ERR_TLS_CERT_ALTNAME_INVALID|does not match/ },
    ];
    for (const k of cases) {
      let bytes = 0;
      const srv = createTlsServer({ cert: k.cert, key: k.key }, (sock) => sock.on("data", (d: Buffer) => (bytes += d.length)));
      srv.on("tlsClientError", () => undefined);
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
      const port = (srv.address() as AddressInfo).port;
      const s = sink({ port, transport: "tls", caFile: k.caFile });
      s.accept(noticeOf(alertOf({ event_id: "ev-refused" })));
      await waitFor("a refused handshake", () => (Number(s.status().errors) >= 2 ? true : undefined));
      const st = s.status();
      expect(st.last_error).toMatch(k.error);
      expect(st).toMatchObject({ connected: 0, connects: 0, sent: 0, queued: 1 });
      expect(bytes).toBe(0);
      await s.close(50);
      srv.close();
    }
  });

  it("the collector down: alerts wait in the queue and all arrive, in order, once it starts", async () => {
    const rs = await collector(undefined, undefined, false);
    const s = sink({ port: rs.port });
    const ids = Array.from({ length: 20 }, (_, i) => `ev-late-${i}`);
    for (const id of ids) s.accept(noticeOf(alertOf({ event_id: id })));
    await waitFor("refused connects", () => (Number(s.status().errors) >= 2 ? true : undefined));
    expect(s.status()).toMatchObject({ queued: 20, sent: 0, connected: 0, dropped: 0 });
    expect(s.status().last_error).toMatch(/ECONNREFUSED/);
    await rs.start();
    const got = await rs.waitReceived(20);
    expect(got.map((g) => g.parsed["rfc5424-sd"]?.["clawav@32473"]?.event_id)).toEqual(ids);
    await waitFor("all counted as sent", () => (s.status().sent === 20 ? true : undefined));
    expect(s.status()).toMatchObject({ queued: 0, dropped: 0, connected: 1, connects: 1 });
  });

  it("a queue of N overflowed: dropped counts exactly the excess, and the N kept arrive", async () => {
    const rs = await collector(undefined, undefined, false);
    const s = sink({ port: rs.port, queueSize: 5 });
    const ids = Array.from({ length: 12 }, (_, i) => `ev-q-${i}`);
    for (const id of ids) s.accept(noticeOf(alertOf({ event_id: id })));
    expect(s.status()).toMatchObject({ queued: 5, dropped: 7, sent: 0 });
    await rs.start();
    const got = await rs.waitReceived(5);
    expect(got.map((g) => g.parsed["rfc5424-sd"]?.["clawav@32473"]?.event_id)).toEqual(ids.slice(0, 5));
    await waitFor("the five counted as sent", () => (s.status().sent === 5 ? true : undefined));
    expect(s.status()).toMatchObject({ queued: 0, dropped: 7 });
    // Room again: the next alert is taken.
    s.accept(noticeOf(alertOf({ event_id: "ev-q-after" })));
    expect((await rs.waitReceived(6))[5]!.parsed["rfc5424-sd"]?.["clawav@32473"]?.event_id).toBe("ev-q-after");
    expect(s.status()).toMatchObject({ dropped: 7 });
  });

  it("the collector restarts: the sink reconnects and what came meanwhile arrives", async () => {
    const first = await collector();
    const s = sink({ port: first.port });
    s.accept(noticeOf(alertOf({ event_id: "ev-before" })));
    await first.waitReceived(1);
    await first.stop();
    await waitFor("the sink to notice the collector is gone", () => (s.status().connected === 0 ? true : undefined));
    for (const id of ["ev-gap-1", "ev-gap-2", "ev-gap-3"]) s.accept(noticeOf(alertOf({ event_id: id })));
    const second = await collector(undefined, first.port);
    const got = await second.waitReceived(3);
    expect(got.map((g) => g.parsed["rfc5424-sd"]?.["clawav@32473"]?.event_id)).toEqual(["ev-gap-1", "ev-gap-2", "ev-gap-3"]);
    await waitFor("the reconnect counted", () => (s.status().sent === 4 ? true : undefined));
    expect(s.status()).toMatchObject({ connects: 2, queued: 0, connected: 1 });
  });

  it("close() flushes what is queued before it ends; later alerts are ignored", async () => {
    const rs = await collector();
    const s = sink({ port: rs.port });
    for (let i = 0; i < 3; i++) s.accept(noticeOf(alertOf({ event_id: `ev-close-${i}` })));
    await s.close();
    expect(s.status()).toMatchObject({ sent: 3, queued: 0, connected: 0 });
    s.accept(noticeOf(alertOf({ event_id: "ev-after-close" })));
    expect(s.status()).toMatchObject({ sent: 3, queued: 0 });
    const got = await rs.waitReceived(3);
    expect(got.map((g) => g.parsed["rfc5424-sd"]?.["clawav@32473"]?.event_id)).toEqual(["ev-close-0", "ev-close-1", "ev-close-2"]);
  });
});
