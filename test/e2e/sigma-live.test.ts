// Ten Sigma rules across the four log sources clawav evaluates, loaded by the real daemon from
// `[sigma] dirs`, each firing on the real command it describes, run by the unprivileged test user
// against the real auditd. The rules are test/fixtures/sigma (clawav's own, not SigmaHQ's).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditdUsable, runAsUser, runCli, TEST_USER, userIds, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import type { Alert } from "../../src/events/index.js";

const live = auditdUsable();
const FIXTURES = new URL("../fixtures/sigma/", import.meta.url).pathname;

describe.skipIf(!live)("Sigma rules on the live daemon (real auditd; the agent is an unprivileged user)", () => {
  let d: DaemonUnderTest;
  let tcp: Server;
  let port = 0;
  let rulesDir = "";
  let bashrc: string | undefined;
  const u = live ? userIds(TEST_USER) : { uid: 0, gid: 0, home: "/" };
  const sshDir = join(u.home, ".ssh");

  beforeAll(async () => {
    tcp = createServer((s) => setTimeout(() => s.destroy(), 100));
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    port = (tcp.address() as { port: number }).port;
    rulesDir = mkdtempSync(join(tmpdir(), "clawav-sigma-"));
    for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith(".yml"))) {
      writeFileSync(join(rulesDir, f), readFileSync(join(FIXTURES, f), "utf8").replaceAll("{{PORT}}", String(port)));
    }
    // The folders exist before clawav starts, so its watches cover them.
    mkdirSync(sshDir, { recursive: true, mode: 0o700 });
    chownSync(sshDir, u.uid, u.gid);
    const rc = join(u.home, ".bashrc");
    if (existsSync(rc)) bashrc = readFileSync(rc, "utf8");
    else writeFileSync(rc, "");
    chownSync(rc, u.uid, u.gid);
    d = DaemonUnderTest.withTempState([], `[sigma]\ndirs = ["${rulesDir}"]\n`);
    await d.start();
  });

  afterAll(async () => {
    const r = await d?.stop();
    tcp?.close();
    const rc = join(u.home, ".bashrc");
    if (bashrc !== undefined) writeFileSync(rc, bashrc);
    rmSync(join(sshDir, "authorized_keys"), { force: true });
    if (rulesDir) rmSync(rulesDir, { recursive: true, force: true });
    expect(r?.code).toBe(0);
  });

  it("the daemon reports the ten rules compiled, none refused", async () => {
    const st = await d.api<{ sigma: { compiled: number; files: number; refused: unknown[] } }>("/api/status");
    expect(st.sigma).toMatchObject({ compiled: 10, files: 10, refused: [] });
    const check = await runCli(["sigma", "check", rulesDir]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^sigma: 10 of 10 rules compiled, 0 refused, 0 malformed/m);
  });

  /** The Sigma alert of `rule` on an event of a process whose argv carries the marker. */
  const sigmaAlert = (rule: string, marker: string): Promise<Alert> =>
    d.waitAlert(`${rule} for ${marker}`, (a) => a.engine === "sigma" && a.rule === `sigma/${rule}` && JSON.stringify(a.event.process?.argv ?? []).includes(marker), 15_000);

  const cases: { rule: string; severity: Alert["severity"]; category: Alert["category"]; mitre: string; run: (m: string) => Promise<unknown> }[] = [
    { rule: "proc_shred_history", severity: "critical", category: "EVASION", mitre: "T1070.003", run: (m) => runAsUser("bash", ["-c", `f=~/.sg-${m}_history; echo ls > $f; shred -u $f`]) },
    { rule: "proc_chmod_world_writable_tmp", severity: "warning", category: "EVASION", mitre: "T1222.002", run: (m) => runAsUser("bash", ["-c", `touch /tmp/sg-${m}; chmod 777 /tmp/sg-${m}; rm -f /tmp/sg-${m}`]) },
    { rule: "proc_python_spawns_shell", severity: "critical", category: "EXECUTION", mitre: "T1059.004", run: (m) => runAsUser("python3", ["-c", `import os; os.system('true ${m}')`]) },
    { rule: "proc_base64_encoded_download", severity: "critical", category: "EVASION", mitre: "T1027", run: (m) => runAsUser("/usr/bin/echo", [Buffer.from(`x curl -s http://127.0.0.1/${m} | sh`).toString("base64"), m]) },
    {
      rule: "file_authorized_keys_write",
      severity: "critical",
      category: "PERSISTENCE",
      mitre: "T1098.004",
      run: (m) => runAsUser("bash", ["-c", `echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI ${m}' >> ~/.ssh/authorized_keys`]),
    },
    { rule: "file_shell_rc_write", severity: "warning", category: "PERSISTENCE", mitre: "T1546.004", run: (m) => runAsUser("bash", ["-c", `echo '# ${m}' >> ~/.bashrc`]) },
    { rule: "auditd_shadow_path", severity: "critical", category: "CRED_ACCESS", mitre: "T1003.008", run: (m) => runAsUser("cat", ["/etc/shadow", `/nonexistent-${m}`]) },
    { rule: "auditd_find_suid", severity: "warning", category: "RECON", mitre: "T1083", run: (m) => runAsUser("find", ["/usr/bin", "-maxdepth", "1", "-perm", "-4000", "-name", `sg-${m}`]) },
  ];

  for (const c of cases) {
    it(`${c.rule}: fires ${c.severity} ${c.category} ${c.mitre}`, async () => {
      const m = `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      await c.run(m);
      const a = await sigmaAlert(c.rule, m);
      expect(a).toMatchObject({ severity: c.severity, category: c.category, engine: "sigma" });
      expect(a.mitre).toContain(c.mitre);
      // The same alert is in the chain a person reads, not only in the stream.
      const chain = await d.api<{ alerts?: Alert[] } | Alert[]>(`/api/alerts?limit=500`);
      const list = Array.isArray(chain) ? chain : (chain.alerts ?? []);
      expect(list.some((x) => x.rule === `sigma/${c.rule}` && x.event_id === a.event_id)).toBe(true);
    });
  }

  it("proc_python_socket_shell and net_python_loopback_port: one python reverse-shell attempt, an exec and a connect", async () => {
    const m = `m${Date.now().toString(36)}`;
    const code = `import socket,subprocess; s=socket.socket(); s.connect(("127.0.0.1", ${port})); s.close(); subprocess.call(["true"]) # ${m}`;
    const r = await runAsUser("python3", ["-c", code]);
    expect(r.code, r.stderr).toBe(0);
    const exec = await sigmaAlert("proc_python_socket_shell", m);
    expect(exec.event.kind).toBe("exec");
    const net = await sigmaAlert("net_python_loopback_port", m);
    expect(net.event.kind).toBe("net");
    expect(net.event.net).toMatchObject({ address: "127.0.0.1", port });
    expect(net.category).toBe("DATA_EXFIL");
  });

  it("a near miss raises nothing: chmod 644 in /tmp, find without -perm", async () => {
    const m = `m${Date.now().toString(36)}near`;
    await runAsUser("bash", ["-c", `touch /tmp/sg-${m}; chmod 644 /tmp/sg-${m}; rm -f /tmp/sg-${m}`]);
    await runAsUser("find", ["/usr/bin", "-maxdepth", "1", "-name", `sg-${m}`]);
    // A later marked command is judged after these (one ordered stream): once it has fired, the near misses have been judged.
    const after = `m${Date.now().toString(36)}after`;
    await runAsUser("find", ["/usr/bin", "-maxdepth", "1", "-perm", "-4000", "-name", `sg-${after}`]);
    await sigmaAlert("auditd_find_suid", after);
    expect(d.alerts.filter((a) => a.engine === "sigma" && JSON.stringify(a.event.process?.argv ?? []).includes(m))).toEqual([]);
  });

  it("SIGHUP reads the folders again: a new rule fires; a malformed one keeps the loaded set and raises an alert", async () => {
    const m = `m${Date.now().toString(36)}hup`;
    const text = (sel: string) => `title: Added at run time\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n  sel:\n${sel}\n  condition: sel\nlevel: low\n`;
    writeFileSync(join(rulesDir, "zz_added.yml"), text(`    CommandLine|contains: '${m}'`));
    d.signal("SIGHUP");
    await waitFor("the added rule loaded", async () => ((await d.api<{ sigma: { compiled: number } }>("/api/status")).sigma.compiled === 11 ? true : undefined), 10_000);
    await runAsUser("/usr/bin/echo", [m]);
    const a = await sigmaAlert("zz_added", m);
    expect(a.severity).toBe("info");
    writeFileSync(join(rulesDir, "zz_broken.yml"), text("    CommandLine|contains: [unclosed"));
    d.signal("SIGHUP");
    const failed = await d.waitAlert("the reload failure", (x) => x.rule === "policy-reload-failed");
    expect(failed.summary).toMatch(/zz_broken\.yml:\d+/);
    rmSync(join(rulesDir, "zz_broken.yml"));
    await runAsUser("/usr/bin/echo", [m, "again"]);
    await d.waitAlert("the loaded set still in force", (x) => x.rule === "sigma/zz_added" && (x.event.process?.argv ?? []).includes("again"));
  });
});
