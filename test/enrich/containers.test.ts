// Which container a process runs in, and what its engine says of it: cgroup texts as this kernel
// and others write them, the fallbacks for a process gone before its record is read, the agent a
// container is, and the engine's facts read live from real podman (its state files and its
// Docker-compatible API socket).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerEnricher, PodmanState, ProcessTable, containerOfCgroup, inspectOverSocket, scanCgroupIds, shimContainer } from "../../src/enrich/index.js";
import type { ContainerInfo, Event } from "../../src/events/index.js";
import { IMAGE, podman, podmanUnavailable, removeContainer, startContainer } from "../helpers/podman.js";
import { waitFor } from "../helpers/system.js";

const ID = "779bec4be1a1c4b5f5a46f30936b9da3154ef0f6bb9868c624cd089bea8cd679";
/** /proc/PID/cgroup of a podman container on this kernel (hybrid v1 + v2, cgroupfs manager). */
const PODMAN_HYBRID = ["10:hugetlb:/libpod_parent/libpod-ID", "9:name=systemd:/libpod_parent/libpod-ID", "4:memory:/libpod_parent/libpod-ID", "0::/libpod_parent/libpod-ID"].join("\n").replaceAll("ID", ID);

function ev(kind: Event["kind"], pid: number, ppid: number, o: Partial<NonNullable<Event["process"]>> = {}): Event {
  return { id: "0", ts: 0, source: "auditd", kind, node_id: "n", fidelity: "kernel", process: { pid, ppid, uid: 0, auid: null, euid: 0, exe: "/bin/busybox", comm: "sh", argv: ["sh"], ...o } };
}

describe("containerOfCgroup", () => {
  it("reads the id and engine from each engine's cgroup path", () => {
    expect(containerOfCgroup(PODMAN_HYBRID)).toEqual({ id: ID, engine: "podman" });
    expect(containerOfCgroup(`0::/machine.slice/libpod-${ID}.scope/container`)).toEqual({ id: ID, engine: "podman" });
    expect(containerOfCgroup(`0::/system.slice/docker-${ID}.scope`)).toEqual({ id: ID, engine: "docker" });
    expect(containerOfCgroup(`12:pids:/docker/${ID}`)).toEqual({ id: ID, engine: "docker" });
    expect(containerOfCgroup(`0::/kubepods.slice/kubepods-besteffort.slice/cri-containerd-${ID}.scope`)).toEqual({ id: ID, engine: "containerd" });
    expect(containerOfCgroup(`0::/kubepods.slice/crio-${ID}.scope`)).toEqual({ id: ID, engine: "crio" });
  });
  it("the host, conmon's own group and a short id are no container", () => {
    expect(containerOfCgroup("0::/user.slice/user-1000.slice/session-1.scope")).toBeUndefined();
    expect(containerOfCgroup(`0::/machine.slice/libpod-conmon-${ID}.scope`)).toBeUndefined();
    expect(containerOfCgroup("0::/docker/abc123")).toBeUndefined();
  });
});

describe("ContainerEnricher", () => {
  const facts = { facts: (id: string) => (id === ID ? { name: "box", image: "img", privileged: false } : undefined) };
  it("places a process by its cgroup, with the engine's facts, from the first event", () => {
    const en = new ContainerEnricher({ readCgroup: (pid) => (pid === 10 ? PODMAN_HYBRID : undefined), podman: facts });
    const e = ev("exec", 10, 5);
    en.enrich(e);
    expect(e.process!.container).toEqual({ id: ID, engine: "podman", name: "box", image: "img", privileged: false });
    expect(en.status()).toMatchObject({ containers: 1 });
  });
  it("a process gone before its record is read: its parent's container, else its eBPF cgroup id's", () => {
    const cg: Record<number, string> = { 20: PODMAN_HYBRID, 30: "0::/user.slice" };
    const en = new ContainerEnricher({ readCgroup: (pid) => cg[pid], readCmdline: () => undefined, podman: facts, cgroupRoot: null });
    const child = ev("exec", 21, 20);
    en.enrich(child);
    expect(child.process!.container?.id).toBe(ID);
    const tagged = ev("exec", 22, 20, { cgroup_id: "777" });
    en.enrich(tagged);
    const orphan = ev("exec", 23, 999, { cgroup_id: "777" });
    en.enrich(orphan);
    expect(orphan.process!.container?.name).toBe("box");
    const host = ev("exec", 31, 30);
    en.enrich(host);
    expect(host.process!.container).toBeUndefined();
    const unknown = ev("exec", 40, 41);
    en.enrich(unknown);
    expect(unknown.process!.container).toBeUndefined();
  });
  it("the runtime setting the container up (crun before its exec) is not the container; a workload renamed crun still is", () => {
    const en = new ContainerEnricher({ readCgroup: () => PODMAN_HYBRID, podman: facts });
    // conmon execs crun, which moves into the container's cgroup before it forks the container's init.
    en.enrich({ ...ev("exec", 69, 68, { comm: "crun", exe: "/usr/bin/crun" }), syscall: { name: "execve", nr: 59, arch: "x86_64", success: true, exit: 0, args: [] } });
    const setup: Event = { ...ev("mount", 70, 69, { comm: "crun", exe: "/", argv: ["/usr/bin/crun"] }), syscall: { name: "mount", nr: 165, arch: "x86_64", success: true, exit: 0, args: [] } };
    en.enrich(setup);
    expect(setup.process!.container).toBeUndefined();
    expect(en.status()).toMatchObject({ runtime_events: 2 });
    const entry: Event = { ...ev("exec", 70, 69, { comm: "sleep", exe: "/bin/busybox" }), syscall: { name: "execve", nr: 59, arch: "x86_64", success: true, exit: 0, args: [] } };
    en.enrich(entry);
    expect(entry.process!.container?.name).toBe("box");
    // The workload's child forks, renames itself and mounts: never seen to exec, but its parent was.
    const sneaky = { ...ev("mount", 71, 70, { comm: "crun" }), syscall: setup.syscall! };
    en.enrich(sneaky);
    expect(sneaky.process!.container?.name).toBe("box");
  });
  it("a short-lived child of a shim (podman's conmon, containerd's): placed by the shim's command line", () => {
    expect(shimContainer(["/usr/bin/conmon", "--api-version", "1", "-c", ID, "-u", "x"])).toEqual({ id: ID, engine: "podman" });
    expect(shimContainer(["/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", ID, "-address", "/run/containerd/containerd.sock"])).toEqual({ id: ID, engine: "docker" });
    expect(shimContainer(["/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", ID])).toEqual({ id: ID, engine: "containerd" });
    expect(shimContainer(["/usr/bin/conmon", "-c", "abc"])).toBeUndefined();
    expect(shimContainer(["/tmp/conmonx", "-c", ID])).toBeUndefined();
    const cmd: Record<number, string[]> = { 80: ["/usr/bin/conmon", "--api-version", "1", "-c", ID], 90: ["/usr/bin/bash"] };
    const en = new ContainerEnricher({ readCgroup: (pid) => (pid === 80 || pid === 90 ? "0::/libpod_parent/conmon" : undefined), readCmdline: (pid) => cmd[pid], podman: facts });
    const child = ev("exec", 81, 80);
    en.enrich(child);
    expect(child.process!.container?.name).toBe("box");
    expect(en.status()).toMatchObject({ placed_by_shim: 1 });
    const hostChild = ev("exec", 91, 90);
    en.enrich(hostChild);
    expect(hostChild.process!.container).toBeUndefined();
  });
  it("keeps a container the event already carries (replay) and places its children by it", () => {
    const en = new ContainerEnricher({ readCgroup: () => undefined, podman: null });
    const recorded: ContainerInfo = { id: ID, engine: "docker", name: "web" };
    const e = ev("exec", 50, 1, { container: recorded });
    en.enrich(e);
    expect(e.process!.container).toBe(recorded);
    const child = ev("file", 51, 50);
    en.enrich(child);
    expect(child.process!.container).toEqual(recorded);
  });
  it("forgets the oldest pids past its bound, and counts them", () => {
    const en = new ContainerEnricher({ readCgroup: () => "0::/", podman: null, maxPids: 2 });
    for (const pid of [1, 2, 3, 4]) en.enrich(ev("exec", pid, 0));
    expect(en.status()).toMatchObject({ pids: 2, evicted: 2 });
  });
});

describe("an agent that is a container", () => {
  const box: ContainerInfo = { id: ID, engine: "podman", name: "agent-box" };
  it("by name or id prefix, whoever its processes run as; other containers are not it", () => {
    const t = new ProcessTable({ agents: [{ name: "boxed", container: "agent-box" }, { name: "by-id", container: ID.slice(0, 12) }, { name: "root-user", uid: 0 }] });
    const e = t.enrich(ev("exec", 60, 1, { container: box }));
    expect(e.process!.agent).toBe("boxed");
    const other = t.enrich(ev("exec", 61, 1, { container: { ...box, name: "other" } }));
    expect(other.process!.agent).toBe("by-id");
    const host = t.enrich(ev("exec", 62, 1));
    expect(host.process!.agent).toBe("root-user");
    const t2 = new ProcessTable({ agents: [{ name: "short", container: ID.slice(0, 8) }] });
    expect(t2.enrich(ev("exec", 63, 1, { container: { ...box, name: "x" } })).process!.agent).toBeUndefined();
  });
});

const noPodman = podmanUnavailable();

describe.skipIf(noPodman !== undefined)("live, on real podman (crun)", () => {
  const plain = "clawav-enrich-plain";
  const exposed = "clawav-enrich-exposed";
  const sock = join(mkdtempSync(join(tmpdir(), "clawav-podsock-")), "podman.sock");
  let service: ChildProcess | undefined;
  let plainId = "";
  let exposedId = "";
  const pidOf = (name: string) => Number(podman(["inspect", "-f", "{{.State.Pid}}", name]).out.trim());
  beforeAll(async () => {
    plainId = startContainer(plain);
    exposedId = startContainer(exposed, ["--privileged", "-v", "/etc:/hostetc:ro", "--pid=host"]);
    // The engine's Docker-compatible API, as `podman system service` serves it (here on a private socket).
    service = spawn("podman", ["system", "service", "--time=0", `unix://${sock}`], { stdio: "ignore" });
    await waitFor("the podman API socket", () => (existsSync(sock) ? true : undefined), 20_000);
  }, 60_000);
  afterAll(() => {
    service?.kill("SIGTERM");
    removeContainer(plain);
    removeContainer(exposed);
    rmSync(join(sock, ".."), { recursive: true, force: true });
  });

  it("podman's state names the container and says what it shares with the host", () => {
    const s = new PodmanState();
    expect(s.facts(plainId)).toMatchObject({ name: plain, image: IMAGE, privileged: false, host_mounts: [], host_namespaces: [] });
    expect(s.facts(exposedId)).toMatchObject({ name: exposed, privileged: true, host_mounts: ["/etc:/hostetc"], host_namespaces: ["pid"] });
  });

  it("a process gone before /proc is read: placed by its eBPF cgroup id, the inode of the container's cgroup v2 folder", () => {
    const root = readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")).find((f) => f[2] === "cgroup2")![1]!;
    const ids = scanCgroupIds(root);
    const ino = [...ids].find(([, c]) => c.id === plainId)?.[0];
    expect(ino, `no folder of ${plainId} under ${root}`).toBeDefined();
    const en = new ContainerEnricher({ readCgroup: () => undefined, cgroupRoot: root });
    const gone = ev("exec", 999_999, 999_998, { cgroup_id: ino! });
    en.enrich(gone);
    expect(gone.process!.container).toMatchObject({ id: plainId, name: plain });
    expect(en.status()).toMatchObject({ cgroup_scans: 1 });
  });

  it("the enricher places the container's real process from /proc", () => {
    const en = new ContainerEnricher();
    const e = ev("exec", pidOf(plain), 1);
    en.enrich(e);
    expect(e.process!.container).toMatchObject({ id: plainId, engine: "podman", name: plain, image: IMAGE });
    const self = ev("exec", process.pid, 1);
    en.enrich(self);
    expect(self.process!.container).toBeUndefined();
  });

  it("the Docker-compatible API socket gives the same facts, and the enricher learns them in the background", async () => {
    expect(await inspectOverSocket(sock, exposedId)).toMatchObject({ name: exposed, image: IMAGE, privileged: true, host_mounts: ["/etc:/hostetc"], host_namespaces: ["pid"] });
    expect(await inspectOverSocket(sock, "0".repeat(64))).toBeUndefined();
    expect(await inspectOverSocket(join(sock, "..", "nothing.sock"), exposedId)).toBeUndefined();
    const en = new ContainerEnricher({ podman: null, sockets: [join(sock, "..", "nothing.sock"), sock] });
    const first = ev("exec", pidOf(exposed), 1);
    en.enrich(first);
    expect(first.process!.container).toEqual({ id: exposedId, engine: "podman" });
    const later = await waitFor("the engine's answer", () => {
      const e = ev("file", pidOf(exposed), 1);
      en.enrich(e);
      return e.process!.container?.name !== undefined ? e : undefined;
    });
    expect(later.process!.container).toMatchObject({ name: exposed, privileged: true });
    expect(en.status()).toMatchObject({ engine_lookups: 1, engine_unanswered: 0 });
  });
});
