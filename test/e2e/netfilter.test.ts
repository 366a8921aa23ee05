// The netfilter sensor, live: clawav's table in the real nftables, the kernel's log read from
// /dev/kmsg, and the unprivileged test user (an agent by uid, with egress control on) reaching
// two addresses inside a network namespace this test makes: one allowed, one not. Nothing
// leaves the machine: the far end of the veth pair is the namespace.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandExists, IS_ROOT, runAsUser, TEST_USER, userIds, waitFor } from "../helpers/system.js";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { ensureJournald, JOURNALCTL } from "../helpers/journald.js";
import { existsSync } from "node:fs";

const live = IS_ROOT && commandExists("nft") && commandExists("ip");
const ALLOWED = "10.203.0.2";
const DENIED = "10.203.0.6";
const PORT = 8080;
const sh = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { encoding: "utf8" });
const nft = (...args: string[]) => sh("nft", ...args);

// The kernel's lines read from /dev/kmsg, and from the journal (journalctl --dmesg, where /dev/kmsg
// cannot be read): the same flows, the same verdicts.
for (const [n, source] of (["kmsg", "journald"] as const).entries()) {
const NS = `clawav-nf${n}-${process.pid}`;
const HOST_IF = `cnf${n}${process.pid % 10000}`;
const PEER_IF = `cnp${n}${process.pid % 10000}`;
describe.skipIf(!live || (source === "journald" && !existsSync(JOURNALCTL)))(`netfilter sensor (kernel log from ${source}): clawav's nftables table, egress control`, () => {
  let d: DaemonUnderTest;
  let server: ChildProcess | undefined;
  const u = live ? userIds(TEST_USER) : { uid: 0, gid: 0, home: "/" };

  beforeAll(async () => {
    if (source === "journald") await ensureJournald();
    for (const args of [
      ["netns", "add", NS],
      ["link", "add", HOST_IF, "type", "veth", "peer", "name", PEER_IF],
      ["link", "set", PEER_IF, "netns", NS],
      ["addr", "add", "10.203.0.1/29", "dev", HOST_IF],
      ["link", "set", HOST_IF, "up"],
      ["-n", NS, "addr", "add", `${ALLOWED}/29`, "dev", PEER_IF],
      ["-n", NS, "addr", "add", `${DENIED}/29`, "dev", PEER_IF],
      ["-n", NS, "link", "set", PEER_IF, "up"],
      ["-n", NS, "link", "set", "lo", "up"],
    ]) expect(sh("ip", ...args).status, `ip ${args.join(" ")}`).toBe(0);
    server = spawn("ip", ["netns", "exec", NS, "python3", "-m", "http.server", String(PORT), "--bind", "0.0.0.0"], { stdio: "ignore" });
    // The server answers on both addresses before clawav closes one of them.
    await waitFor("the server in the namespace", async () => ((await runAsUser("python3", ["-c", `import socket; socket.create_connection(("${DENIED}", ${PORT}), 2).close()`])).code === 0 ? true : undefined), 15_000, 200);
    d = DaemonUnderTest.withTempState([], `[network]\nenabled = true\nsource = "${source}"\negress_control = true\nallowed_cidrs = ["${ALLOWED}/32"]\ndns_servers = ["127.0.0.1:1"]\n\n[[agents]]\nname = "nfagent"\nuid = ${u.uid}\n\n[ebpf]\nsyscalls = false\ndns_answers = false\n`);
    await d.start();
    await waitFor("the netfilter sensor to run", async () => ((await d.api<{ sources: { name: string; state: string }[] }>("/api/status")).sources.find((s) => s.name === "netfilter")?.state === "running" ? true : undefined));
  }, 60_000);

  afterAll(async () => {
    const r = await d?.stop();
    server?.kill();
    sh("ip", "netns", "del", NS);
    sh("ip", "link", "del", HOST_IF);
    expect(r?.code).toBe(0);
    // A clean stop takes the table away.
    expect(nft("list", "table", "inet", "clawav").status).not.toBe(0);
  });

  const connect = (address: string) => runAsUser("python3", ["-c", `import socket, sys\ntry:\n  socket.create_connection(("${address}", ${PORT}), 3).close(); print("open")\nexcept OSError as e:\n  print(type(e).__name__)`]);

  it("an allowed address: the connect works, the flow is a logged net event with the uid, and no alert", async () => {
    const r = await connect(ALLOWED);
    expect(r.stdout.trim()).toBe("open");
    const e = await d.waitEvent("the logged flow", (x) => x.source === "netfilter" && x.net?.address === ALLOWED && x.net.netfilter?.verdict === "logged");
    expect(e).toMatchObject({ kind: "net", process: { uid: u.uid }, net: { port: PORT, netfilter: { protocol: "tcp", src: "10.203.0.1", out: HOST_IF } } });
    expect(d.alerts.filter((a) => a.event.id === e.id)).toEqual([]);
  });

  it("an address not allowed: refused at once, and a warning names the uid, the address and the port", async () => {
    const r = await connect(DENIED);
    expect(r.stdout.trim()).toBe("ConnectionRefusedError");
    const a = await d.waitAlert("the egress alert", (x) => x.rule === "netfilter-egress-blocked" && x.event.net?.address === DENIED);
    expect(a).toMatchObject({ severity: "warning", category: "DATA_EXFIL", engine: "netfilter" });
    expect(a.summary).toContain(`${TEST_USER} (uid ${u.uid}) to ${DENIED}:${PORT}`);
    expect(a.mitre).toContain("T1041");
  });

  // Defined for its source only (not skipped for the other): each run tests what its reader has.
  if (source === "journald") it("journalctl killed: a critical sensor alert, and flows are read again after its restart", async () => {
    const st = await d.api<{ source_details: { netfilter?: { kernel_log: string } } }>("/api/status");
    expect(st.source_details.netfilter!.kernel_log).toContain("--dmesg");
    const child = spawnSync("pgrep", ["-P", String(d.pid), "-f", "journalctl --dmesg"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
    expect(child, "the daemon's journalctl --dmesg").toMatch(/^\d+$/);
    process.kill(Number(child), "SIGKILL");
    const a = await d.waitAlert("the restart alert", (x) => x.rule === "sensor-netfilter-log-restarted");
    expect(a.severity).toBe("critical");
    await waitFor("a flow logged after the restart", async () => {
      await connect(ALLOWED);
      return d.events.find((x) => x.source === "netfilter" && x.net?.address === ALLOWED && x.ts > a.ts) ? true : undefined;
    }, 20_000, 1000);
  }, 40_000);

  if (source === "kmsg") it("the table deleted by someone else: a critical alert, and the table is back; the firewall sensor does not count clawav's own table", async () => {
    expect(nft("delete", "table", "inet", "clawav").status).toBe(0);
    const a = await d.waitAlert("the tamper alert", (x) => x.rule === "sensor-netfilter-table-changed", 30_000);
    expect(a).toMatchObject({ severity: "critical", category: "SEC_TAMPER" });
    expect(a.summary).toContain("was deleted; putting it back");
    await waitFor("the table back", () => (nft("list", "table", "inet", "clawav").status === 0 ? true : undefined), 10_000);
    expect((await connect(DENIED)).stdout.trim()).toBe("ConnectionRefusedError");
    const st = await d.api<{ source_details: { netfilter?: { table_restored: number; dropped: number } } }>("/api/status");
    expect(st.source_details.netfilter!.table_restored).toBe(1);
    expect(d.alerts.filter((x) => x.rule === "sensor-firewall-changed")).toEqual([]);
  }, 60_000);
});
}
