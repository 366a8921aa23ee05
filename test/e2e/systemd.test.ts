// clawav install under a real systemd: a Debian rootfs (made by scripts/install-deps.sh with
// debootstrap) booted with systemd as PID 1 in a podman container, no network. The service must
// come up only once READY=1 arrives, be restarted when killed, be restarted by the watchdog when
// frozen, and go away with clawav uninstall.
//
// Inside a container on this machine's hybrid cgroups, systemd gets no "cgroup empty" notice, so a
// stop always waits its whole TimeoutStopSec; the test's drop-in shortens the timers to seconds.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../src/version.js";
import { podman, podmanUnavailable, removeContainer } from "../helpers/podman.js";
import { IS_ROOT, waitFor } from "../helpers/system.js";

const ROOTFS = "/var/tmp/clawav-systemd-rootfs";
const NAME = "clawav-systemd-test";

/** A shell command inside the container; its exit code and output. */
const inside = (cmd: string) => {
  const r = podman(["exec", NAME, "sh", "-c", cmd]);
  return { code: r.code, out: r.out.trim(), err: r.err.trim() };
};
const show = (prop: string) => inside(`systemctl show -p ${prop} --value clawav.service`).out;

describe.skipIf(!IS_ROOT)("clawav as a systemd service (systemd as PID 1 in podman)", () => {
  let key = "";
  beforeAll(async () => {
    expect(existsSync(`${ROOTFS}/.clawav-ready`), `${ROOTFS} is missing: scripts/install-deps.sh makes it (debootstrap)`).toBe(true);
    expect(podmanUnavailable()).toBeUndefined();
    removeContainer(NAME);
    // The rootfs as an overlay (:O): what the test writes is gone with the container. The host's
    // node (Debian bookworm's libraries, as the rootfs's) and the built checkout, read-only.
    const r = podman(["run", "-d", "--name", NAME, "--network", "none", "--cap-add", "LINUX_IMMUTABLE", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096", "--systemd=always", "-v", `${process.execPath}:/usr/bin/node:ro`, "-v", `${PACKAGE_ROOT}:/src:ro`, "--rootfs", `${ROOTFS}:O`, "/lib/systemd/systemd"]);
    expect(r.code, r.err).toBe(0);
    await waitFor("systemd to boot in the container", () => (/^(running|degraded)$/.test(inside("systemctl is-system-running").out) ? true : undefined), 60_000, 250);
  }, 120_000);
  afterAll(() => removeContainer(NAME));

  it("installs; the unit verifies under the real systemd; the service is active only after READY=1, with its STATUS", async () => {
    // No audit in a container's network namespace: this daemon watches /proc instead.
    const r = inside("mkdir -p /etc/clawav && printf '[auditd]\\nenabled = false\\n' > /etc/clawav/config.toml && node /src/dist/cli/clawav.js install --skip audit-rules");
    expect(r.code, r.out + r.err).toBe(0);
    key = /OCAV-[0-9a-f]{64}/.exec(r.out)?.[0] ?? "";
    expect(key).not.toBe("");
    expect(r.out).toMatch(/^service +applied/m);
    expect(r.out).toMatch(/^immutable +applied/m);
    expect(r.out).toContain("systemctl enable --now clawav");
    const v = inside("systemd-analyze verify /etc/systemd/system/clawav.service");
    expect([v.code, v.out, v.err]).toEqual([0, "", ""]);
    // Type=notify: `enable --now` returned only when the daemon said READY=1.
    expect(show("ActiveState")).toBe("active");
    expect(show("Type")).toBe("notify");
    expect(show("WatchdogUSec")).toBe("30s");
    await waitFor("the daemon's STATUS", () => (/^\d+ events, \d+ alerts, queue \d+, dropped \d+; procfs running/.test(show("StatusText")) ? true : undefined), 20_000);
    expect(inside("lsattr -d /etc/systemd/system/clawav.service").out.split(/\s/)[0]).toContain("i");
  });

  it("killed with SIGKILL, it is started again", async () => {
    // Seconds, not the unit's 30: see the note at the top.
    const d = inside("mkdir -p /etc/systemd/system/clawav.service.d && printf '[Service]\\nWatchdogSec=3\\nTimeoutAbortSec=2\\nTimeoutStopSec=3\\nRestartSec=1\\n' > /etc/systemd/system/clawav.service.d/test.conf && systemctl daemon-reload && systemctl restart clawav");
    expect(d.code, d.err).toBe(0);
    const pid = show("MainPID");
    expect(Number(pid)).toBeGreaterThan(1);
    const restarts = Number(show("NRestarts"));
    expect(inside(`kill -9 ${pid}`).code).toBe(0);
    await waitFor("a new daemon, active", () => (show("ActiveState") === "active" && show("MainPID") !== pid && show("MainPID") !== "0" ? true : undefined), 60_000, 250);
    expect(Number(show("NRestarts"))).toBe(restarts + 1);
  }, 90_000);

  it("frozen (SIGSTOP), it stops feeding the watchdog, and systemd restarts it", async () => {
    const pid = show("MainPID");
    await waitFor("the daemon's first ping under WatchdogSec=3", () => (/events/.test(show("StatusText")) ? true : undefined));
    expect(inside(`kill -STOP ${pid}`).code).toBe(0);
    await waitFor("a new daemon after the watchdog's timeout", () => (show("ActiveState") === "active" && show("MainPID") !== pid && show("MainPID") !== "0" ? true : undefined), 60_000, 250);
    expect(inside("journalctl -u clawav --no-pager").out).toMatch(/clawav\.service: Watchdog timeout \(limit 3s\)!/);
  }, 90_000);

  it("uninstall with the admin key stops and removes the service", () => {
    expect(inside("rm -r /etc/systemd/system/clawav.service.d").code).toBe(0); // the test's own drop-in
    const r = inside(`printf '%s\\n' '${key}' > /root/key && clawav uninstall --key-fd 3 3</root/key`);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain("systemctl disable --now clawav.service");
    expect(show("ActiveState")).toBe("inactive");
    expect(show("LoadState")).toBe("not-found");
    expect(inside("journalctl -u clawav --no-pager").out).toContain("uninstall requested with the admin key");
    expect(inside("test -e /etc/systemd/system/clawav.service || test -e /opt/clawav || test -e /etc/clawav/installed.json || test -e /usr/local/bin/clawav").code).toBe(1);
    // The config was there before the install (the test wrote it): it is the operator's, and stays.
    expect(inside("cat /etc/clawav/config.toml").out).toBe("[auditd]\nenabled = false");
    expect(inside("node /src/dist/cli/clawav.js status").code).toBe(69);
  });
});
