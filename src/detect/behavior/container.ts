// Containers (T1610 deploy a container, T1611 escape to host). An agent that can start containers
// holds root by another name: a privileged container, a host folder mounted in, the host's
// namespaces, or the engine's API socket reached directly. From inside a container, the ways out
// are few and known: enter the host's namespaces, mount, change root, trace, or write the kernel's
// hooks (release_agent, core_pattern, uevent_helper) that the host runs as root.
import { posix } from "node:path";
import type { BehaviorRule, Hit } from "./hits.js";
import type { Facts } from "./facts.js";

/** Host paths whose mounting into a container hands it the host (or the engine). */
const SENSITIVE_SOURCES = ["/", "/etc", "/root", "/var/run/docker.sock", "/run/docker.sock", "/run/podman", "/run/containerd", "/proc", "/sys", "/dev", "/boot", "/var/lib", "/usr", "/run", "/var/run", "/lib", "/bin", "/sbin"];

function sensitiveSource(src: string): boolean {
  const n = posix.normalize(src).replace(/\/+$/, "") || "/";
  if (SENSITIVE_SOURCES.some((s) => (s === "/" ? n === "/" : n === s || n.startsWith(`${s}/`)))) return true;
  // A whole home (its keys and shell start-up files), or its secrets; a project folder in it is work.
  return n === "/home" || /^\/home\/[^/]+$/.test(n) || /\/\.(ssh|aws|gnupg|kube|docker|config|local)(\/|$)/.test(n);
}

export const ENGINE_CLIS = ["docker", "podman", "nerdctl"];

/**
 * Why `docker|podman|nerdctl run|create|exec ...` gives the container the host, or undefined.
 * One reading of the options for the behaviour rule and for clawsudo's escape check.
 */
export function containerRunRisk(tool: string, args: readonly string[]): string | undefined {
  const verbs = args.filter((a) => !a.startsWith("-"));
  const v0 = verbs[0];
  const runs = v0 === "run" || v0 === "create" || v0 === "exec" || (v0 === "container" && ["run", "create", "exec"].includes(verbs[1] ?? "")) || (v0 === "compose" && ["run", "up", "exec"].includes(verbs[1] ?? ""));
  if (!runs) return undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let vol: string | undefined;
    if (a === "-v" || a === "--volume") vol = args[i + 1];
    else if (a.startsWith("--volume=")) vol = a.slice(9);
    else if (a.startsWith("-v=")) vol = a.slice(3);
    else if (a.startsWith("-v") && a.length > 2 && !a.startsWith("--")) vol = a.slice(2);
    if (vol !== undefined && sensitiveSource(vol.split(":")[0]!)) return `${tool} ${a} ${vol}: a host path mounted into a container is root's to change`;
    let mount: string | undefined;
    if (a === "--mount") mount = args[i + 1];
    else if (a.startsWith("--mount=")) mount = a.slice(8);
    if (mount !== undefined) {
      const src = /(?:^|,)(?:source|src)=([^,]+)/.exec(mount)?.[1];
      if (src !== undefined && sensitiveSource(src)) return `${tool} --mount ${mount}: a host path mounted into a container is root's to change`;
    }
    if (a === "--privileged" || a === "--privileged=true") return `${tool} --privileged gives the container the host`;
    const ns = /^--(pid|ipc|uts|userns|network|net|cgroupns)(?:=(.*))?$/.exec(a);
    if (ns) {
      const val = ns[2] ?? args[i + 1];
      if (val === "host") return `${tool} --${ns[1]}=host shares the host's namespace`;
    }
    if (a === "--cap-add" || a.startsWith("--cap-add=")) return `${tool} --cap-add gives the container root's capabilities`;
    if (a === "--device" || a.startsWith("--device=")) return `${tool} --device gives the container a host device`;
    const so = a === "--security-opt" ? args[i + 1] : a.startsWith("--security-opt=") ? a.slice(15) : undefined;
    if (so !== undefined && /unconfined|no-new-privileges(:|=)false/.test(so)) return `${tool} --security-opt ${so} lifts the container's confinement`;
  }
  return undefined;
}

/** A container engine's API socket: whoever can talk to it can start a container as root. */
const ENGINE_SOCKET = /^(?:\/var)?\/run\/(?:docker\.sock|docker\/[^/]+\.sock|podman\/podman\.sock|containerd\/containerd\.sock|crio\/crio\.sock|user\/\d+\/(?:podman\/podman|docker)\.sock)$|\/\.docker\/run\/docker\.sock$/;

export function isEngineSocket(path: string): boolean {
  return ENGINE_SOCKET.test(posix.normalize(path.replace(/^unix:\/\//, "")));
}

/** The programs whose job is to talk to an engine (their requests are judged by their options). */
const ENGINE_CLIENTS = new Set([...ENGINE_CLIS, "ctr", "crictl", "conmon", "buildah", "skopeo", "dockerd", "containerd", "docker-compose"]);

/** Tools that leave a container when run inside one. */
const ESCAPE_TOOLS = new Set(["nsenter", "unshare", "chroot", "mount", "pivot_root", "switch_root", "capsh", "insmod", "modprobe", "debugfs", "setns"]);

/** Kernel hooks the host runs as root, and the host seen through pid 1's root. */
const HOST_HOOKS = /(?:release_agent|notify_on_release|\/proc\/sys\/kernel\/core_pattern|\/proc\/sys\/kernel\/modprobe|\/sys\/kernel\/uevent_helper|\/proc\/sysrq-trigger|\/proc\/1\/root\b|\/proc\/1\/ns\/)/;

function where(f: Facts): string {
  const c = f.e.process?.container;
  if (!c) return "";
  const name = c.name ?? c.id.slice(0, 12);
  const exposed = [c.privileged ? "privileged" : "", ...(c.host_namespaces ?? []).map((n) => `host ${n}`), ...((c.host_mounts ?? []).length > 0 ? ["host folders"] : [])].filter(Boolean);
  return ` in container ${name}${exposed.length > 0 ? ` (${exposed.join(", ")})` : ""}`;
}

export const CONTAINER_RULES: readonly BehaviorRule[] = [
  {
    id: "container.risky-run",
    category: "PRIV_ESC",
    severity: "critical",
    description: "a container started or entered with the host's powers: --privileged, a host path or the engine's socket mounted, host namespaces, added capabilities or devices",
    kinds: ["exec"],
    tools: ENGINE_CLIS,
    inner: true,
    match: (f) => {
      const why = containerRunRisk(f.tool, f.args);
      return why !== undefined ? { summary: why } : undefined;
    },
  },
  {
    id: "container.engine-socket",
    category: "PRIV_ESC",
    severity: "critical",
    description: "a program other than the engine's own clients talks to a container engine's API socket (root without sudo)",
    kinds: ["net", "exec"],
    inner: true,
    match: (f) => {
      if (ENGINE_CLIENTS.has(f.tool)) return undefined;
      if (f.e.kind === "net") {
        const n = f.e.net;
        return n?.family === "unix" && n.path !== undefined && isEngineSocket(n.path) ? { summary: `${f.tool} connects to ${n.path}: the container engine's API` } : undefined;
      }
      // curl --unix-socket /run/docker.sock, socat UNIX-CONNECT:/run/docker.sock, -H unix:///...
      for (const a of f.args) {
        // Most arguments name no socket: a plain search is far cheaper than the regex on each.
        if (!a.includes(".sock")) continue;
        const m = /(?:^|[=:,])((?:unix:\/\/)?\/[^\s,'"]*\.sock)\b/.exec(a);
        if (m && isEngineSocket(m[1]!)) return { summary: `${f.tool} ${f.args.join(" ").slice(0, 160)}: talks to the container engine's API` };
      }
      return undefined;
    },
  },
  {
    id: "container.escape",
    category: "PRIV_ESC",
    severity: "critical",
    description: "inside a container: entering namespaces, mounting, changing root, tracing, or writing the host kernel's hooks (seed 001: quarantine at once)",
    kinds: ["exec", "mount", "ptrace"],
    inner: true,
    match: (f) => {
      if (!f.e.process?.container) return undefined;
      const hit = (summary: string): Hit => ({ summary: `${summary}${where(f)}`, action: "quarantine" });
      if (f.e.kind === "mount") return hit(`${f.tool} calls ${f.e.syscall?.name ?? "mount"}${f.e.syscall?.success === false ? " (refused)" : ""}`);
      if (f.e.kind === "ptrace") {
        const req = parseInt(f.e.syscall?.args[0] ?? "", 16);
        // PTRACE_ATTACH, PTRACE_SEIZE, POKETEXT/POKEDATA: another process's memory, not a debugger's own child.
        return [0x10, 0x4206, 4, 5].includes(req) ? hit(`${f.tool} attaches to another process with ptrace`) : undefined;
      }
      if (ESCAPE_TOOLS.has(f.tool) && !(f.tool === "mount" && f.args.length === 0)) return hit(`${f.tool} ${f.args.join(" ").slice(0, 120)}`);
      const text = f.args.join(" ");
      if (HOST_HOOKS.test(text)) return hit(`${f.tool} ${text.slice(0, 160)}: a kernel hook the host runs as root`);
      return undefined;
    },
  },
];
