// The container rules by family: starting a container with the host's powers, reaching an
// engine's API socket, and the ways out of a container, each with the ordinary work beside it.
import { describe, expect, it } from "vitest";
import { containerRunRisk } from "../../src/detect/index.js";
import type { ContainerInfo, Event } from "../../src/events/index.js";
import { connect, detector, exec, rulesOf, sys } from "./events.js";

const d = detector();
const box: ContainerInfo = { id: "b".repeat(64), engine: "podman", name: "agent-box", privileged: true, host_namespaces: ["pid"] };
const inBox = { uid: 0, euid: 0, container: box };
const unix = (exe: string, path: string, argv?: string[]): Event => ({ ...connect(exe, "", 0, argv), net: { family: "unix", path } });
/** The rule raised, at any severity above info. */
const raises = (e: Event, rule: string) => rulesOf(d, e).some((r) => !r.startsWith("info:") && r.endsWith(`:${rule}`));
const names = (e: Event, rule: string) => rulesOf(d, e).some((r) => r.endsWith(`:${rule}`));
const alertsOf = (e: Event) => d.evaluate(e);

describe("container.risky-run: what a container is given, in every spelling", () => {
  const risky = [
    "docker run --privileged -it alpine sh",
    "podman run --privileged=true alpine",
    "docker run -v /:/host alpine",
    "docker run -v/etc:/x alpine",
    "docker run --volume=/root/.ssh:/k alpine",
    "nerdctl run --mount type=bind,source=/,target=/host alpine",
    "docker run --mount=type=bind,src=/var/run/docker.sock,dst=/s alpine",
    "podman run --pid=host alpine",
    "docker run --net host alpine",
    "docker run --cap-add=SYS_ADMIN alpine",
    "docker run --device /dev/sda alpine",
    "docker run --security-opt seccomp=unconfined alpine",
    "docker container run --userns=host alpine",
    "docker exec --privileged web sh",
  ];
  for (const cmd of risky) {
    it(`raises: ${cmd}`, () => {
      expect(raises(exec(cmd), "container.risky-run")).toBe(true);
    });
  }
  const ordinary = ["docker run --rm alpine echo hi", "podman run -v ./data:/data alpine", "docker ps", "docker images", "podman pull alpine", "docker run -v /home/agent/project:/src alpine"];
  for (const cmd of ordinary) {
    it(`quiet: ${cmd}`, () => {
      expect(names(exec(cmd), "container.risky-run")).toBe(false);
    });
  }
  it("inside sh -c too", () => {
    expect(raises(exec(["bash", "-c", "cd /tmp && docker run --privileged alpine"]), "container.risky-run")).toBe(true);
  });
  it("one reading for clawsudo and the rule: a home folder of another user is a host path", () => {
    expect(containerRunRisk("docker", ["run", "-v", "/home/other:/x", "alpine"])).toMatch(/host path/);
    expect(containerRunRisk("docker", ["ps", "--privileged"])).toBeUndefined();
  });
});

describe("container.engine-socket: root without sudo", () => {
  it("a connect to docker's or podman's socket by anything but the engine's client", () => {
    expect(raises(unix("/usr/bin/python3.11", "/run/docker.sock"), "container.engine-socket")).toBe(true);
    expect(raises(unix("/usr/bin/curl", "/run/podman/podman.sock"), "container.engine-socket")).toBe(true);
    expect(raises(unix("/usr/bin/socat", "/var/run/docker.sock"), "container.engine-socket")).toBe(true);
    expect(raises(unix("/usr/bin/python3.11", "/run/user/1000/podman/podman.sock"), "container.engine-socket")).toBe(true);
  });
  it("the engine's own clients, and other sockets, are not it", () => {
    expect(names(unix("/usr/bin/docker", "/run/docker.sock"), "container.engine-socket")).toBe(false);
    expect(names(unix("/usr/bin/podman", "/run/podman/podman.sock"), "container.engine-socket")).toBe(false);
    expect(names(unix("/usr/bin/python3.11", "/run/dbus/system_bus_socket"), "container.engine-socket")).toBe(false);
  });
  it("named in a command: curl --unix-socket, socat UNIX-CONNECT, a DOCKER_HOST url", () => {
    expect(raises(exec("curl --unix-socket /var/run/docker.sock http://localhost/containers/json"), "container.engine-socket")).toBe(true);
    expect(raises(exec("socat - UNIX-CONNECT:/run/docker.sock"), "container.engine-socket")).toBe(true);
    expect(names(exec("curl --unix-socket /run/user/1000/bus http://x/"), "container.engine-socket")).toBe(false);
  });
});

describe("container.escape: the ways out, from inside a container, quarantine at once", () => {
  const ways: [string, Event][] = [
    ["nsenter into pid 1", exec("nsenter --target 1 --mount --uts --ipc --net --pid -- bash", inBox)],
    ["unshare", exec("unshare -m sh", inBox)],
    ["chroot to a host mount", exec("chroot /host /bin/bash", inBox)],
    ["mount the host disk", exec("mount /dev/vda1 /mnt", inBox)],
    ["the mount syscall", sys("mount", "/bin/busybox", "mount", ["0"], inBox)],
    ["ptrace attach", sys("ptrace", "/usr/bin/gdb", "ptrace", ["10", "1"], inBox)],
    ["cgroup release_agent", exec(["sh", "-c", "echo /cmd > /tmp/cg/release_agent"], inBox)],
    ["core_pattern", exec(["sh", "-c", "echo '|/tmp/x' > /proc/sys/kernel/core_pattern"], inBox)],
    ["the host's root through pid 1", exec("ls /proc/1/root/etc", inBox)],
    ["a kernel module", exec("insmod /tmp/x.ko", inBox)],
  ];
  for (const [what, e] of ways) {
    it(what, () => {
      const a = alertsOf(e).find((x) => x.rule === "container.escape");
      expect(a, JSON.stringify(rulesOf(d, e))).toBeDefined();
      expect(a).toMatchObject({ severity: "critical", action: "quarantine", category: "PRIV_ESC", mitre: ["T1611"] });
      expect(a!.summary).toContain("in container agent-box (privileged, host pid)");
    });
  }
  it("the same commands on the host, or ordinary work in a container, are not it", () => {
    expect(names(exec("mount /dev/vda1 /mnt", { uid: 0, euid: 0 }), "container.escape")).toBe(false);
    expect(names(exec("mount", inBox), "container.escape")).toBe(false);
    expect(names(exec("ls /proc/1/status", inBox), "container.escape")).toBe(false);
    expect(names(sys("ptrace", "/usr/bin/strace", "ptrace", ["0", "0"], inBox), "container.escape")).toBe(false);
    expect(rulesOf(d, exec("python3 app.py", inBox))).toEqual([]);
  });
});
