import { posix } from "node:path";
import type { Event, EventKind, FileInfo, NetInfo, PathItem, ProcessInfo, SyscallInfo } from "../../events/index.js";
import type { AuditRecord } from "./record.js";
import { decodeSockaddr } from "./sockaddr.js";
import { splitProctitle } from "./values.js";
import { archName, syscallName } from "./syscalls.js";

const AUID_UNSET = 4294967295;

const KIND_BY_SYSCALL: Readonly<Record<string, EventKind>> = {};
function kinds(kind: EventKind, names: string[]): void {
  for (const n of names) (KIND_BY_SYSCALL as Record<string, EventKind>)[n] = kind;
}
kinds("exec", ["execve", "execveat"]);
kinds("net", ["connect", "bind", "accept", "accept4", "sendto", "sendmsg", "listen"]);
kinds("priv", ["setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid", "setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32", "setresgid32", "setfsuid32", "setfsgid32", "capset", "setgroups", "setgroups32"]);
kinds("module", ["init_module", "finit_module", "delete_module"]);
kinds("mount", ["mount", "umount", "umount2", "move_mount", "fsmount", "mount_setattr", "open_tree", "pivot_root"]);
kinds("ptrace", ["ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd"]);
kinds("memfd", ["memfd_create", "memfd_secret"]);
kinds("perf", ["perf_event_open"]);
kinds("signal", ["kill", "tkill", "tgkill", "pidfd_send_signal"]);
kinds("file", ["open", "openat", "openat2", "creat", "truncate", "ftruncate", "unlink", "unlinkat", "rename", "renameat", "renameat2", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "fchownat", "lchown", "link", "linkat", "symlink", "symlinkat", "mkdir", "mkdirat", "rmdir", "mknod", "mknodat", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "utimensat", "access", "faccessat", "faccessat2", "stat", "lstat", "newfstatat", "statx", "readlink", "readlinkat"]);

export interface NormalizeContext {
  nodeId: string;
  id: string;
  keepRaw?: boolean;
}

/** Turns the records of one audit event into the normalized Event. */
export function normalize(records: readonly AuditRecord[], ctx: NormalizeContext): Event {
  const first = records[0]!;
  const ts = first.sec * 1000 + first.ms;
  let syscallRec: AuditRecord | undefined;
  let cwd: string | undefined;
  let proctitle: string[] | undefined;
  let proctitleCut = false;
  let net: NetInfo | undefined;
  const execve: AuditRecord[] = [];
  const paths: AuditRecord[] = [];
  const types: string[] = [];
  for (const r of records) {
    types.push(r.type);
    switch (r.type) {
      case "SYSCALL":
        syscallRec ??= r;
        break;
      case "EXECVE":
        execve.push(r);
        break;
      case "PATH":
        paths.push(r);
        break;
      case "CWD":
        cwd = r.fields.get("cwd");
        break;
      case "PROCTITLE": {
        const raw = r.rawValues.get("proctitle") ?? r.fields.get("proctitle") ?? "";
        proctitle = splitProctitle(raw, r.quoted.has("proctitle"));
        // The kernel keeps at most 128 bytes of a command line here: at that length the last word may be cut.
        proctitleCut = (r.quoted.has("proctitle") ? Buffer.byteLength(raw) : raw.length / 2) >= 128;
        break;
      }
      case "SOCKADDR": {
        const saddr = r.rawValues.get("saddr") ?? r.fields.get("saddr");
        if (saddr !== undefined) net = decodeSockaddr(saddr);
        break;
      }
    }
  }

  const ev: Event = { id: ctx.id, ts, source: "auditd", kind: "other", node_id: ctx.nodeId, fidelity: "kernel", serial: first.serial, record_types: types };
  if (ctx.keepRaw) ev.raw = records.map((r) => ({ type: r.type, text: r.text }));

  const base = syscallRec ?? records.find((r) => r.fields.has("pid"));
  if (syscallRec) {
    const sc = syscallInfo(syscallRec);
    ev.syscall = sc;
    ev.kind = KIND_BY_SYSCALL[sc.name] ?? (paths.length > 0 ? "file" : "syscall");
    if (ev.kind === "net" && !net) ev.kind = "syscall";
  } else if (records.length === 1 && isUserRecord(first)) ev.fields = Object.fromEntries(first.fields);
  if (base) {
    ev.process = processInfo(base, execve, proctitle, cwd);
    if (execve.length === 0 && proctitleCut) ev.process.argv_truncated = true;
  }
  if (paths.length > 0) ev.file = fileInfo(paths, cwd, ev.kind);
  if (net) ev.net = net;
  return ev;
}

function syscallInfo(r: AuditRecord): SyscallInfo {
  const arch = archName(r.fields.get("arch") ?? "");
  const nr = Number(r.fields.get("syscall"));
  const success = r.fields.get("success");
  const exit = r.fields.get("exit");
  const args: string[] = [];
  for (const k of ["a0", "a1", "a2", "a3"]) {
    const v = r.fields.get(k);
    if (v !== undefined) args.push(v);
  }
  const sc: SyscallInfo = {
    name: r.enriched?.get("SYSCALL") ?? syscallName(arch, nr),
    nr: Number.isFinite(nr) ? nr : -1,
    arch,
    success: success === "yes" ? true : success === "no" ? false : null,
    exit: exit !== undefined && /^-?\d+$/.test(exit) ? Number(exit) : null,
    args,
  };
  const key = r.fields.get("key");
  if (key !== undefined && key !== "(null)") sc.key = key;
  return sc;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function optNum(v: string | undefined): number | null {
  if (v === undefined || v === "unset" || v === "?" || v === "(none)") return null;
  const n = Number(v);
  return Number.isFinite(n) && n !== AUID_UNSET ? n : null;
}

function processInfo(r: AuditRecord, execve: AuditRecord[], proctitle: string[] | undefined, cwd: string | undefined): ProcessInfo {
  const f = r.fields;
  const uid = num(f.get("uid"));
  const euid = num(f.get("euid"));
  const auid = optNum(f.get("auid"));
  const argv = execve.length > 0 ? execveArgv(execve) : (proctitle ?? []);
  // A field the record does not carry (a line cut short) stays absent: -1 or "" would be a claim.
  // Assigned in the order events have always shown them.
  const p = {} as ProcessInfo;
  const pid = num(f.get("pid"));
  if (pid !== undefined) p.pid = pid;
  const ppid = num(f.get("ppid"));
  if (ppid !== undefined) p.ppid = ppid;
  if (uid !== undefined) p.uid = uid;
  p.auid = auid;
  if (euid !== undefined) p.euid = euid;
  const exe = clean(f.get("exe"));
  if (exe !== undefined) p.exe = exe;
  const comm = clean(f.get("comm"));
  if (comm !== undefined) p.comm = comm;
  p.argv = argv;
  const gid = f.get("gid");
  if (gid !== undefined) p.gid = num(gid);
  const egid = f.get("egid");
  if (egid !== undefined) p.egid = num(egid);
  if (cwd !== undefined) p.cwd = cwd;
  const tty = f.get("tty");
  if (tty !== undefined && tty !== "(none)") p.tty = tty;
  if (f.has("ses")) p.ses = optNum(f.get("ses"));
  // auditd's own translation, made when the event happened; names for RAW logs come from an enricher.
  const name = (id: number | null | undefined, enrichedKey: string): string | undefined => {
    if (id === null || id === undefined || id < 0) return undefined;
    return r.enriched?.get(enrichedKey);
  };
  const user = name(uid, "UID");
  if (user !== undefined) p.user = user;
  const au = name(auid, "AUID");
  if (au !== undefined) p.auid_user = au;
  const eu = name(euid, "EUID");
  if (eu !== undefined) p.euid_user = eu;
  return p;
}

function clean(v: string | undefined): string | undefined {
  return v === undefined || v === "(null)" ? undefined : v;
}

/** EXECVE records in order: a0..aN, with aN_len + aN[i] chunks reassembled. */
export function execveArgv(records: readonly AuditRecord[]): string[] {
  const args = new Map<number, string>();
  const chunks = new Map<number, string[]>();
  let argc = -1;
  for (const r of records) {
    const a = r.fields.get("argc");
    if (a !== undefined && argc < 0) argc = Number(a);
    for (const [k, v] of r.fields) {
      if (k.charCodeAt(0) !== 97 || k === "argc") continue;
      const br = k.indexOf("[");
      if (br > 0) {
        const i = Number(k.slice(1, br));
        const j = Number(k.slice(br + 1, -1));
        if (!Number.isInteger(i) || !Number.isInteger(j)) continue;
        let c = chunks.get(i);
        if (!c) chunks.set(i, (c = []));
        c[j] = v;
      } else if (!k.endsWith("_len")) {
        const i = Number(k.slice(1));
        if (Number.isInteger(i)) args.set(i, v);
      }
    }
  }
  for (const [i, c] of chunks) if (!args.has(i)) args.set(i, c.join(""));
  const n = argc >= 0 ? argc : args.size;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(args.get(i) ?? "");
  return out;
}

function fileInfo(paths: AuditRecord[], cwd: string | undefined, kind: EventKind): FileInfo {
  const items: PathItem[] = paths
    .map((r) => {
      const f = r.fields;
      const item: PathItem = { name: absolute(clean(f.get("name")) ?? "", cwd), nametype: f.get("nametype") ?? "UNKNOWN" };
      const inode = f.get("inode");
      if (inode !== undefined) item.inode = Number(inode);
      const dev = f.get("dev");
      if (dev !== undefined) item.dev = dev;
      const mode = f.get("mode");
      if (mode !== undefined) item.mode = parseInt(mode, 8);
      const ouid = f.get("ouid");
      if (ouid !== undefined) item.ouid = Number(ouid);
      return { idx: Number(f.get("item") ?? 0), item };
    })
    .sort((a, b) => a.idx - b.idx)
    .map((x) => x.item);
  // The path the event is about: for exec the program (item 0); otherwise the last object that
  // is not a PARENT directory (for open with O_CREAT that is the CREATE item).
  const main = kind === "exec" ? items[0] : ([...items].reverse().find((i) => i.nametype !== "PARENT") ?? items[items.length - 1]);
  return { path: main?.name ?? "", items };
}

/**
 * The kernel logs a path as the process passed it. Fold `.` and `..` (lexically: the PATH
 * record's inode is the ground truth for symlinks), so /tmp/../etc/shadow is judged as
 * /etc/shadow, and make relative names absolute against the event's cwd.
 */
function absolute(name: string, cwd: string | undefined): string {
  if (name.startsWith("/")) return name.includes("/.") || name.includes("//") ? posix.normalize(name) : name;
  if (name === "" || cwd === undefined || !cwd.startsWith("/")) return name;
  return posix.resolve(cwd, name);
}

/** A user-space message (auditd's own, PAM's, systemd's): no syscall, its fields are the event. */
function isUserRecord(r: AuditRecord): boolean {
  return !r.fields.has("syscall") && !r.fields.has("arch");
}
