// What an event means, computed once per event and shared by every rule: the executable's true
// identity, the hosts and uploads of its arguments, the paths it touches and whether it writes.
import { posix } from "node:path";
import type { Event } from "../../events/index.js";
import type { ExeIdentity } from "../../enrich/index.js";
import { argHosts, baseName, uploadOf, type Upload } from "./argv.js";
import type { PopularLists } from "../supply/typosquat.js";

/** Canonical tool names: python3.11 → python3, nc.openbsd → nc, rbash → bash. */
const toolMemo = new Map<string, string>();

export function toolName(base: string): string {
  // Every event and every inner command asks; a handful of names recur, and the regexes add up.
  let t = toolMemo.get(base);
  if (t === undefined) {
    t = canonicalTool(base);
    if (toolMemo.size >= 4096) toolMemo.clear();
    toolMemo.set(base, t);
  }
  return t;
}

function canonicalTool(base: string): string {
  if (/^python(\d(\.\d+)?)?$/.test(base)) return "python3";
  if (/^perl(\d[\d.]*)?$/.test(base)) return "perl";
  if (/^ruby(\d[\d.]*)?$/.test(base)) return "ruby";
  if (/^php(\d[\d.]*)?$/.test(base)) return "php";
  if (base === "nodejs" || /^node\d+$/.test(base)) return "node";
  if (base.startsWith("nc.") || base === "netcat") return "nc";
  if (base === "rbash") return "bash";
  if (base === "mawk" || base === "gawk") return "awk";
  return base;
}

export const SHELLS = new Set(["bash", "sh", "dash", "zsh", "ksh", "fish", "busybox", "ash", "mksh", "tcsh", "csh"]);
export const NET_TOOLS = new Set(["curl", "wget", "nc", "ncat", "socat", "telnet", "ftp", "tftp"]);
/** Raw socket tools: any use of them to a host not allowed is worth a look. */
export const RAW_NET_TOOLS = new Set(["nc", "ncat", "socat", "telnet"]);
export const INTERPRETERS = new Set(["python3", "node", "perl", "ruby", "php", "bun", "deno", "lua", "awk"]);
/** Where the system's own programs live; a tool under another name there is packaging, not evasion. */
const SYSTEM_DIRS = ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/lib/", "/usr/libexec/", "/usr/local/bin/", "/usr/local/sbin/", "/lib/"];

export interface HostCheck {
  /** Is this host name allowed (exact or subdomain of an allowed name)? */
  hostAllowed(host: string): boolean;
  /** Is this address allowed (resolved allowed names, allowed CIDRs)? */
  addressAllowed(address: string): boolean;
  /** Is this loopback address and port clawav's own API? */
  isWatchdog(address: string, port: number): boolean;
  /** The LLM upstream (of [proxy], when enabled) this host or address and port is, if any: reached directly, it bypasses the proxy. */
  llmUpstream?: (host: string, port: number | undefined) => string | undefined;
}

export interface Facts {
  e: Event;
  exe: string;
  exeBase: string;
  /** True identity: the known tool whose content this is, else the canonical base name. */
  tool: string;
  identity?: ExeIdentity;
  /** A system tool running under a name or place that is not its own. */
  renamedFrom?: string;
  argv: readonly string[];
  args: readonly string[];
  cwd?: string;
  uid?: number;
  euid?: number;
  parents: readonly string[];
  hosts: string[];
  upload: Upload;
  /** Argument words that name files, made absolute against cwd. */
  argPaths: string[];
  /** Paths of the event's PATH records (not PARENT directories). */
  paths: string[];
  write: boolean;
  hostCheck: HostCheck;
  /** Nesting depth: 0 for the event's own command, 1+ for commands inside `sh -c` code. */
  depth: number;
  /** The popular packages of each ecosystem, for typosquats (loaded once by the detector). */
  popular?: PopularLists;
}

const WRITE_SYSCALLS = new Set(["creat", "truncate", "ftruncate", "unlink", "unlinkat", "rename", "renameat", "renameat2", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "fchownat", "lchown", "link", "linkat", "symlink", "symlinkat", "mkdir", "mkdirat", "rmdir", "mknod", "mknodat", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "utimensat"]);
const O_ACCMODE_W = 0x3; // O_WRONLY | O_RDWR
const O_CREAT = 0x40;
const O_TRUNC = 0x200;

/** Did the event write (or create, delete, rename, re-mode) what it touched? */
export function isWrite(e: Event): boolean {
  if (e.file?.items.some((i) => i.nametype === "CREATE" || i.nametype === "DELETE")) return true;
  const sc = e.syscall;
  if (!sc) return false;
  if (WRITE_SYSCALLS.has(sc.name)) return true;
  const flagsArg = sc.name === "open" ? sc.args[1] : sc.name === "openat" ? sc.args[2] : undefined;
  if (flagsArg === undefined) return false;
  const flags = parseInt(flagsArg, 16);
  return Number.isFinite(flags) && ((flags & O_ACCMODE_W) !== 0 || (flags & (O_CREAT | O_TRUNC)) !== 0);
}

function isSystemPath(exe: string): boolean {
  return SYSTEM_DIRS.some((d) => exe.startsWith(d));
}

/** Words that look like file paths; options and URLs are not. */
export function pathArgs(args: readonly string[], cwd: string | undefined): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a.startsWith("-") || a.includes("://") || a.length > 4096) continue;
    const v = a.startsWith("@") ? a.slice(1) : a;
    // Words with a slash, and dot-names (.ssh, .aws, .netrc, .bash_history): names of files.
    if (!(v.includes("/") || /^\.[\w-]/.test(v))) continue;
    // `..` and `.` are folded even in absolute paths: /tmp/../etc/shadow is /etc/shadow.
    if (v.startsWith("/")) out.push(v.includes("/.") || v.includes("//") ? posix.normalize(v) : v);
    else if (v.startsWith("~") || v.startsWith("$HOME") || v.startsWith("${HOME}")) out.push(v.includes("/.") ? posix.normalize(v) : v);
    else if (cwd?.startsWith("/")) out.push(joinCwd(cwd, v));
    else out.push(v);
  }
  return out;
}

/** cwd + relative path; path.resolve only when a `.`/`..` segment or a double slash needs folding. */
function joinCwd(cwd: string, v: string): string {
  if (/(^|\/)\.\.?(\/|$)|\/\//.test(v) || cwd.includes("/.") || cwd.includes("//")) return posix.resolve(cwd, v);
  const base = cwd.endsWith("/") ? cwd : cwd + "/";
  return v.endsWith("/") && v.length > 1 ? base + v.slice(0, -1) : base + v;
}

export function factsOf(e: Event, identity: ExeIdentity | undefined, hostCheck: HostCheck, popular?: PopularLists): Facts {
  const p = e.process;
  const argv = p?.argv ?? [];
  const exe = p?.exe ?? "";
  const exeBase = toolName(baseName(exe || argv[0] || ""));
  const id = identity;
  const tool = id?.tool ?? exeBase;
  const args = argv.slice(1);
  const paths = e.file ? e.file.items.filter((i) => i.nametype !== "PARENT").map((i) => i.name) : [];
  if (e.file && paths.length === 0 && e.file.path && e.kind === "file") paths.push(e.file.path);
  const renamed = id?.tool !== undefined && id.tool !== exeBase && !(SHELLS.has(id.tool) && SHELLS.has(exeBase)) && !isSystemPath(exe);
  // Every field set, in one order, here and in innerFacts: one object shape keeps the rules' reads monomorphic.
  return {
    e,
    exe,
    exeBase,
    tool,
    identity: id,
    renamedFrom: renamed ? id.tool : undefined,
    argv,
    args,
    cwd: p?.cwd,
    uid: p?.uid,
    euid: p?.euid,
    parents: p?.lineage?.map((l) => l.exe) ?? [],
    hosts: argHosts(tool, args),
    upload: uploadOf(tool, args),
    argPaths: e.kind === "exec" ? pathArgs(args, p?.cwd) : [],
    paths,
    write: e.kind === "file" && isWrite(e),
    hostCheck,
    depth: 0,
    popular,
  };
}

/** Facts for a command found inside code (`sh -c "..."`), in the same process context. */
export function innerFacts(outer: Facts, argv: readonly string[]): Facts {
  const tool = toolName(baseName(argv[0] ?? ""));
  const args = argv.slice(1);
  return {
    e: outer.e,
    exe: argv[0] ?? "",
    exeBase: tool,
    tool,
    identity: undefined,
    renamedFrom: undefined,
    argv,
    args,
    cwd: outer.cwd,
    uid: outer.uid,
    euid: outer.euid,
    parents: [outer.exe, ...outer.parents],
    hosts: argHosts(tool, args),
    upload: uploadOf(tool, args),
    argPaths: pathArgs(args, outer.cwd),
    paths: [],
    write: false,
    hostCheck: outer.hostCheck,
    depth: outer.depth + 1,
    popular: outer.popular,
  };
}

/** Is the connect's destination allowed: by address or CIDR, or by the allowed name clawav resolved it from? */
export function destAllowed(f: Facts): boolean {
  const n = f.e.net;
  if (!n?.address) return false;
  return f.hostCheck.addressAllowed(n.address) || (n.resolved_host !== undefined && f.hostCheck.hostAllowed(n.resolved_host));
}
