// Real rootful podman (crun) for the container tests. No registry is reachable: the image is a
// rootfs made here from Debian's busybox-static, imported with `podman import`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IS_ROOT, commandExists } from "./system.js";

const APPLETS = ["sh", "sleep", "ls", "cat", "id", "mount", "nsenter", "unshare", "chroot", "echo", "true"];
/** Tagged by its applets: an image made by an older list is not taken for this one. */
export const IMAGE = `localhost/clawav-busybox:${APPLETS.length}`;

/**
 * crun refuses a hybrid cgroup layout (v1 controllers beside a v2 mount) while any controller sits
 * on the v2 side: this kernel boots with hugetlb there. A controller no group uses can be bound
 * to a v1 hierarchy of its own instead, which is what a v1 machine has anyway.
 */
function settleHybridCgroups(): string | undefined {
  const unified = "/sys/fs/cgroup/unified/cgroup.controllers";
  if (!existsSync(unified)) return undefined;
  for (const c of readFileSync(unified, "utf8").split(/\s+/).filter(Boolean)) {
    const dir = `/sys/fs/cgroup/${c}`;
    mkdirSync(dir, { recursive: true });
    const r = spawnSync("mount", ["-t", "cgroup", "-o", c, "cgroup", dir], { encoding: "utf8" });
    if (r.status !== 0) return `the ${c} controller is on the cgroup v2 mount and could not be moved to v1 (${r.stderr.trim()}); crun cannot start containers`;
  }
  return undefined;
}

function sh(cmd: string, args: string[], input?: Buffer): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, out: r.stdout ?? "", err: r.stderr ?? "" };
}

let ready: string | undefined | null = null;

/** Why podman cannot run containers here, or undefined once the image is in place. */
export function podmanUnavailable(): string | undefined {
  if (ready !== null) return ready;
  ready = ((): string | undefined => {
    if (!IS_ROOT) return "not root";
    if (!commandExists("podman")) return "podman is not installed";
    if (!existsSync("/bin/busybox")) return "busybox-static is not installed";
    const why = settleHybridCgroups();
    if (why) return why;
    if (sh("podman", ["image", "exists", IMAGE]).code !== 0) {
      const root = mkdtempSync(join(tmpdir(), "clawav-rootfs-"));
      try {
        mkdirSync(join(root, "bin"));
        mkdirSync(join(root, "tmp"), { mode: 0o1777 });
        copyFileSync("/bin/busybox", join(root, "bin", "busybox"));
        for (const a of APPLETS) symlinkSync("busybox", join(root, "bin", a));
        const tar = spawnSync("tar", ["-C", root, "-c", "."], { maxBuffer: 64 * 1024 * 1024 });
        const imp = sh("podman", ["import", "-", IMAGE], tar.stdout);
        if (imp.code !== 0) return `podman import failed: ${imp.err.trim()}`;
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
    return undefined;
  })();
  return ready;
}

/**
 * Starts a container that sleeps, with no network (nothing leaves the machine) and rlimits at or
 * below the sandbox's own: crun may not raise them (no CAP_SYS_RESOURCE here).
 */
export function startContainer(name: string, extra: string[] = []): string {
  sh("podman", ["rm", "-f", "-t", "0", name]);
  const r = sh("podman", ["run", "-d", "--name", name, "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", ...extra, IMAGE, "/bin/sleep", "600"]);
  if (r.code !== 0) throw new Error(`podman run ${name} failed: ${r.err.trim()}`);
  return r.out.trim();
}

export function podman(args: string[]): { code: number; out: string; err: string } {
  return sh("podman", args);
}

export function removeContainer(name: string): void {
  sh("podman", ["rm", "-f", "-t", "0", name]);
}

export function containerState(name: string): string {
  return sh("podman", ["inspect", "-f", "{{.State.Status}}", name]).out.trim();
}
