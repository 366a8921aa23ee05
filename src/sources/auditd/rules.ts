import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

export const RULE_KEY = "clawav";

/** One audit rule as auditctl arguments (never a shell string). */
export type AuditRule = readonly string[];

export interface RuleContext {
  /** Home folders of the watched users (for .ssh, .aws, agent config). */
  homes: readonly string[];
  /** clawav's own files. */
  ownPaths: readonly string[];
  /** Arches the kernel runs: b64 always, b32 when 32-bit programs can run. */
  arches: readonly ("b64" | "b32")[];
  /** More paths to watch for reads, writes and attribute changes (an agent profile's). */
  extraWatches?: readonly string[];
  /**
   * Container engines' API sockets whose folder exists: a connect to one is recorded whatever the
   * address length (the connect rules above keep only inet and inet6 lengths).
   */
  engineSockets?: readonly string[];
}

/** Where container engines listen (/var/run is a link to /run: the kernel matches the real path). */
export const ENGINE_SOCKETS: readonly string[] = ["/run/docker.sock", "/run/podman/podman.sock", "/run/containerd/containerd.sock"];

const SYSTEM_WATCHES: readonly [string, string][] = [
  ["/etc/shadow", "rwa"],
  ["/etc/gshadow", "rwa"],
  ["/etc/sudoers", "rwa"],
  ["/etc/sudoers.d", "rwa"],
  ["/etc/passwd", "wa"],
  ["/etc/group", "wa"],
  ["/etc/crontab", "wa"],
  ["/etc/cron.d", "wa"],
  ["/var/spool/cron", "wa"],
  ["/etc/ld.so.preload", "wa"],
  ["/etc/systemd/system", "wa"],
  ["/etc/audit", "wa"],
  ["/etc/ssh/sshd_config", "wa"],
];

/** Per home: credentials are watched for reads too; shell start-up files for writes. */
const HOME_WATCHES: readonly [string, string][] = [
  [".ssh", "rwa"],
  [".aws", "rwa"],
  [".config/gcloud", "rwa"],
  [".kube", "rwa"],
  [".docker", "rwa"],
  [".gnupg", "rwa"],
  [".netrc", "rwa"],
  [".git-credentials", "rwa"],
  [".openclaw", "rwa"],
  [".claude", "rwa"],
  [".config/openclaw", "rwa"],
  [".bashrc", "wa"],
  [".profile", "wa"],
  [".bash_profile", "wa"],
];

/**
 * clawav's rules, tagged `-k clawav`. connect is cut to the address lengths of sockaddr_in (16)
 * and sockaddr_in6 (28) in the kernel, which drops nearly all AF_UNIX traffic there; a unix path
 * of exactly 13 or 25 bytes still gets through and is told apart by SOCKADDR's family later.
 */
export function clawavRules(ctx: RuleContext): AuditRule[] {
  const k = ["-k", RULE_KEY];
  const rules: AuditRule[] = [];
  for (const arch of ctx.arches) {
    const a = ["-a", "always,exit", "-F", `arch=${arch}`];
    rules.push([...a, "-S", "execve,execveat", ...k]);
    rules.push([...a, "-S", "connect", "-F", "a2=16", ...k]);
    rules.push([...a, "-S", "connect", "-F", "a2=28", ...k]);
    for (const s of ctx.engineSockets ?? []) rules.push([...a, "-S", "connect", "-F", `path=${s}`, ...k]);
    rules.push([...a, "-S", "ptrace", ...k]);
    rules.push([...a, "-S", "init_module,finit_module,delete_module", ...k]);
    rules.push([...a, "-S", "mount,umount2", ...k]);
    rules.push([...a, "-S", "perf_event_open", ...k]);
    rules.push([...a, "-S", "memfd_create", ...k]);
    // Signals the kernel refused: an agent trying to stop auditd or clawav. Allowed signals (to its own children) are daily work.
    rules.push([...a, "-S", "kill,tkill,tgkill", "-F", "success=0", ...k]);
    const ids = arch === "b64"
      ? "setuid,setgid,setreuid,setregid,setresuid,setresgid,setfsuid,setfsgid"
      : "setuid32,setgid32,setreuid32,setregid32,setresuid32,setresgid32,setfsuid32,setfsgid32";
    // Only changes to root matter for privilege escalation; dropping privileges is daily work.
    rules.push([...a, "-S", ids, "-F", "a0=0", ...k]);
  }
  const watches: [string, string][] = [...SYSTEM_WATCHES];
  for (const h of ctx.homes) for (const [rel, perm] of HOME_WATCHES) watches.push([`${h.replace(/\/+$/, "")}/${rel}`, perm]);
  for (const p of ctx.extraWatches ?? []) watches.push([p, "rwa"]);
  for (const p of ctx.ownPaths) watches.push([p, "wa"]);
  for (const [path, perm] of watches) rules.push(["-w", path, "-p", perm, ...k]);
  return rules;
}

export interface InstallResult {
  added: AuditRule[];
  present: AuditRule[];
  /** Rules the kernel refused, with auditctl's reason (e.g. a watch whose parent does not exist). */
  failed: { rule: AuditRule; reason: string }[];
  backlogRaisedTo?: number;
}

/**
 * Adds what is missing and nothing else: the kernel's "Rule exists" answer is the comparison,
 * and no rule is ever deleted or reordered, so other tools' rules stay as they are.
 */
export function installRules(rules: readonly AuditRule[], backlogLimit?: number): InstallResult {
  const res: InstallResult = { added: [], present: [], failed: [] };
  for (const rule of rules) {
    const r = spawnSync("auditctl", rule as string[], { encoding: "utf8" });
    if (r.status === 0) res.added.push(rule);
    else if (/rule exists/i.test(r.stderr)) res.present.push(rule);
    else res.failed.push({ rule, reason: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split("\n").pop()! });
  }
  if (backlogLimit !== undefined) {
    const st = readAuditStatus();
    if (st && st.backlog_limit < backlogLimit && spawnSync("auditctl", ["-b", String(backlogLimit)], { stdio: "ignore" }).status === 0) res.backlogRaisedTo = backlogLimit;
  }
  return res;
}

/**
 * Deletes clawav's own rules (key exactly `clawav`) and nothing else, one by one as the kernel
 * lists them: `auditctl -D -k` would also take rules whose key merely starts with `clawav`.
 */
export function removeRules(): { removed: number; gone: number; failed: { rule: string; reason: string }[] } {
  const out = { removed: 0, gone: 0, failed: [] as { rule: string; reason: string }[] };
  const first = listClawavRules();
  if ("error" in first) return { ...out, failed: [{ rule: "auditctl -l", reason: first.error }] };
  const refused: { rule: string; reason: string }[] = [];
  for (const line of first.lines) {
    const words = line.split(/\s+/);
    if (words[0] === "-a") words[0] = "-d";
    else if (words[0] === "-w") words[0] = "-W";
    else continue;
    let r = spawnSync("auditctl", words, { encoding: "utf8" });
    // auditctl -W stats the path to choose a file or a folder watch: when the path changed kind
    // since the watch was set (a file watch on what is now a folder), only the explicit form matches.
    if (r.status !== 0 && words[0] === "-W") for (const alt of explicitWatchForms(words)) if ((r = spawnSync("auditctl", alt, { encoding: "utf8" })).status === 0) break;
    if (r.status === 0) out.removed++;
    else refused.push({ rule: line, reason: (r.stderr || `exit ${r.status}`).trim().split("\n").pop()! });
  }
  if (refused.length === 0) return out;
  // A refusal for a rule that is gone anyway is no failure: the kernel drops a watch whose folder
  // was deleted between our listing and our delete, and another auditctl may have been quicker.
  const after = listClawavRules();
  if ("error" in after) return { ...out, failed: refused };
  const still = new Set(after.lines);
  out.failed = refused.filter((f) => still.has(f.rule));
  out.gone = refused.length - out.failed.length;
  return out;
}

/** `-W P -p X -k K` as the two syscall rules a watch can be: on a file (path=) or a folder (dir=). */
function explicitWatchForms(words: readonly string[]): string[][] {
  const path = words[1];
  const perm = words[words.indexOf("-p") + 1];
  if (path === undefined || !words.includes("-p") || perm === undefined) return [];
  const rest = ["-F", `perm=${perm}`, "-F", `key=${RULE_KEY}`];
  return [["-d", "exit,always", "-F", `path=${path}`, ...rest], ["-d", "exit,always", "-F", `dir=${path}`, ...rest]];
}

function listClawavRules(): { lines: string[] } | { error: string } {
  const listed = spawnSync("auditctl", ["-l"], { encoding: "utf8" });
  if (listed.status !== 0) return { error: (listed.stderr || `exit ${listed.status}`).trim() };
  const lines: string[] = [];
  for (const raw of listed.stdout.split("\n")) {
    const line = raw.trim();
    const words = line.split(/\s+/);
    if (words.includes(`key=${RULE_KEY}`) || (words.at(-2) === "-k" && words.at(-1) === RULE_KEY)) lines.push(line);
  }
  return { lines };
}

export function formatRule(rule: AuditRule): string {
  return ["auditctl", ...rule.map((a) => (/^[\w,=!<>./@:+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`))].join(" ");
}

export interface AuditStatus {
  enabled: number;
  pid: number;
  lost: number;
  backlog: number;
  backlog_limit: number;
  rate_limit: number;
}

/** Parses `auditctl -s`. */
export function parseAuditStatus(text: string): AuditStatus | undefined {
  const v = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+) (\d+)/.exec(line.trim());
    if (m) v.set(m[1]!, Number(m[2]));
  }
  if (!v.has("lost") || !v.has("enabled")) return undefined;
  return { enabled: v.get("enabled")!, pid: v.get("pid") ?? 0, lost: v.get("lost")!, backlog: v.get("backlog") ?? 0, backlog_limit: v.get("backlog_limit") ?? 0, rate_limit: v.get("rate_limit") ?? 0 };
}

/** `auditctl -e 1`: the kernel's audit back on; an error says why not (locked with -e 2, say). */
export function enableAudit(): { ok: true } | { ok: false; error: string } {
  const r = spawnSync("auditctl", ["-e", "1"], { encoding: "utf8" });
  if (r.status === 0) return { ok: true };
  return { ok: false, error: (r.stderr || r.error?.message || `auditctl exited ${r.status}`).trim().split("\n")[0]! };
}

export function readAuditStatus(): AuditStatus | undefined {
  const r = spawnSync("auditctl", ["-s"], { encoding: "utf8" });
  return r.status === 0 ? parseAuditStatus(r.stdout) : undefined;
}

/** Homes of users with uid >= 1000 (or the given uids) from /etc/passwd. */
export function homesOf(passwd: string, include: (uid: number) => boolean): string[] {
  const out: string[] = [];
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    if (Number.isInteger(uid) && include(uid) && f[5] && f[5].startsWith("/") && f[5] !== "/" && !f[5].startsWith("/nonexistent")) out.push(f[5]);
  }
  return [...new Set(out)];
}

export function readPasswd(): string {
  try {
    return readFileSync("/etc/passwd", "utf8");
  } catch {
    return "";
  }
}

/** b32 rules where the CPU has a 32-bit ABI; a kernel built without it refuses them, and that is reported. */
export function kernelArches(): ("b64" | "b32")[] {
  return process.arch === "x64" || process.arch === "arm64" ? ["b64", "b32"] : ["b64"];
}

/** The paths the rules watch (-w), for mapping inodes back to names. */
export function watchedPaths(rules: readonly AuditRule[]): string[] {
  return rules.filter((r) => r[0] === "-w").map((r) => r[1]!);
}
