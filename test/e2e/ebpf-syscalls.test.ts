// The eBPF syscall sensor, live: real bpftrace on the syscall tracepoints beside a real auditd, a
// real daemon, and the unprivileged test user doing what an agent would.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { auditdUsable, commandExists, IS_ROOT, run, runAsUser, TEST_USER, userIds, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";

const live = IS_ROOT && auditdUsable() && commandExists("bpftrace");
const ADDRESS = "127.0.0.81";

interface SourceRow {
  name: string;
  state: string;
  events: number;
  drops: number;
}
interface Status {
  sources: SourceRow[];
  source_details: { ebpf?: { restarts?: number } };
  pipeline: { cross_source_repeats: number; cross_source: { repeats: number } };
}

describe.skipIf(!live)("eBPF syscall sensor: exec, watched opens and connects from tracepoints, judged once beside auditd", () => {
  let d: DaemonUnderTest;
  let http: Server;
  let port = 0;
  const u = live ? userIds(TEST_USER) : { uid: 0, gid: 0, home: "/nonexistent" };
  const key = join(u.home, ".ssh", "id_ed25519");
  const ebpf = async () => {
    const s = await d.api<Status>("/api/status");
    const row = s.sources.find((x) => x.name === "ebpf");
    return row ? { ...row, restarts: s.source_details.ebpf?.restarts ?? 0 } : undefined;
  };

  beforeAll(async () => {
    mkdirSync(join(u.home, ".ssh"), { recursive: true, mode: 0o700 });
    chownSync(join(u.home, ".ssh"), u.uid, u.gid);
    writeFileSync(key, "not a real key\n", { mode: 0o600 });
    chownSync(key, u.uid, u.gid);
    http = createServer((_q, r) => r.end("ok\n"));
    await new Promise<void>((r) => http.listen(0, ADDRESS, r));
    port = (http.address() as { port: number }).port;
    d = DaemonUnderTest.withTempState([], "[ebpf]\ndns_answers = false\nsyscalls = true\n");
    await d.start();
    await waitFor("the eBPF sensor to attach", async () => ((await ebpf())?.state === "running" ? true : undefined), 60_000, 250);
  }, 90_000);

  afterAll(async () => {
    await d?.stop();
    http?.close();
  });

  it("an exec comes with its whole argv (a newline inside an argument too) and its cgroup id", async () => {
    const tag = `clawav-ebpf-${Date.now()}`;
    const r = await runAsUser("/bin/echo", [tag, "line one\nline two"]);
    expect(r.code).toBe(0);
    const e = await d.waitEvent("the eBPF exec", (x) => x.source === "ebpf" && x.kind === "exec" && x.process?.argv[1] === tag);
    expect(e.process!.argv).toEqual(["/bin/echo", tag, "line one\nline two"]);
    expect(e.process!.uid).toBe(u.uid);
    expect(e.process!.cgroup_id).toMatch(/^\d+$/);
    expect(e.syscall).toMatchObject({ name: "execve", success: true, exit: 0 });
    // auditd saw the same exec: its copy names the eBPF copy as the one judged.
    const twin = await d.waitEvent("auditd's copy of the exec", (x) => x.source === "auditd" && x.kind === "exec" && x.process?.argv[1] === tag, 20_000);
    expect(twin.process!.pid).toBe(e.process!.pid);
    // Both copies name the same effective and login uids: rules judging either see the same people.
    expect(e.process!.euid).toBe(twin.process!.euid);
    expect(e.process!.auid).toBe(twin.process!.auid);
    // Both carry the kernel's time of the call (auditd's to the ms), not when clawav read it.
    expect(Math.abs(e.ts - twin.ts)).toBeLessThanOrEqual(20);
  });

  it("a watched key read raises its alert once though both sensors saw the read", async () => {
    const before = (await d.api<Status>("/api/status")).pipeline.cross_source_repeats;
    const r = await runAsUser("cat", [key]);
    expect(r.code).toBe(0);
    const open = await d.waitEvent("the eBPF open of the key", (x) => x.source === "ebpf" && x.kind === "file" && x.file?.path === key);
    expect(open.syscall).toMatchObject({ name: "openat", success: true });
    const pid = open.process!.pid;
    await d.waitEvent("auditd's copy of the open", (x) => x.source === "auditd" && x.kind === "file" && x.file?.path === key && x.process?.pid === pid, 20_000);
    const alert = await d.waitAlert("the key read", (a) => a.category === "CRED_ACCESS" && a.event.kind === "file" && a.event.process?.pid === pid);
    // Both copies are in the stream, but only one was judged: one alert for the read.
    await waitFor("the pipeline to count the repeat", async () => ((await d.api<Status>("/api/status")).pipeline.cross_source_repeats > before ? true : undefined), 10_000, 200);
    const reads = d.alerts.filter((a) => a.rule === alert.rule && a.event.kind === "file" && a.event.process?.pid === pid);
    expect(reads, JSON.stringify(reads.map((a) => ({ source: a.event.source, id: a.event.id, syscall: a.event.syscall, file: a.event.file, seen: a.event.seen_first_by })))).toHaveLength(1);
    const twin = d.events.find((x) => x.kind === "file" && x.process?.pid === pid && x.file?.path === key && x.id !== reads[0]!.event.id);
    expect(twin?.seen_first_by?.event_id).toBe(reads[0]!.event.id);
  });

  it("a connect comes with its address, port and outcome", async () => {
    const tag = `clawav-ebpf-net-${Date.now()}`;
    const code = `import urllib.request; urllib.request.urlopen('http://${ADDRESS}:${port}/${tag}').read()`;
    const r = await runAsUser("python3", ["-c", code]);
    expect(r.code, r.stderr).toBe(0);
    const e = await d.waitEvent("the eBPF connect", (x) => x.source === "ebpf" && x.kind === "net" && x.net?.address === ADDRESS && x.net.port === port);
    expect(e.net!.family).toBe("inet");
    expect(e.syscall).toMatchObject({ name: "connect", success: true, exit: 0 });
    expect(e.process!.exe).toMatch(/python3/);
  });

  it("bpftrace killed: a critical sensor alert, a restart, and events flow again", async () => {
    const kids = await run("pgrep", ["-P", String(d.pid), "-x", "bpftrace"]);
    const pid = Number(kids.stdout.trim().split("\n")[0]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    const a = await d.waitAlert("the sensor alert", (x) => x.rule === "sensor-source-down" && x.event.sensor?.condition === "source_down:ebpf");
    expect(a.severity).toBe("critical");
    expect(a.event.sensor!.detail).toMatch(/bpftrace exited \(SIGKILL\)/);
    await waitFor("the sensor to run again", async () => {
      const s = await ebpf();
      return s?.state === "running" && s.restarts >= 1 ? s : undefined;
    }, 60_000, 250);
    const tag = `clawav-ebpf-after-${Date.now()}`;
    await runAsUser("/bin/echo", [tag]);
    await d.waitEvent("an exec after the restart", (x) => x.source === "ebpf" && x.process?.argv[1] === tag);
  }, 90_000);
});
