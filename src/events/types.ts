// What flows through clawav: sources produce Events, engines turn an Event into Alerts,
// sinks consume Alerts.

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CATEGORIES = [
  "DATA_EXFIL",
  "CRED_ACCESS",
  "PRIV_ESC",
  "SEC_TAMPER",
  "RECON",
  "SIDE_CHAN",
  "PERSISTENCE",
  "EXECUTION",
  "EVASION",
  "SUPPLY_CHAIN",
] as const;
export type Category = (typeof CATEGORIES)[number];

export const EVENT_KINDS = [
  "exec",
  "file",
  "net",
  "priv",
  "module",
  "mount",
  "ptrace",
  "memfd",
  "perf",
  "signal",
  "dns",
  "syscall",
  "sensor",
  "gate",
  "external",
  "log",
  "other",
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Where an event came from. Open-ended for later sources (ebpf, falco, samhain, ...). */
export type SourceName = "auditd" | "procfs" | "preload" | "clawsudo" | "daemon" | (string & {});

/** How much of the truth a source can see: the kernel's audit records, or a /proc poll that can miss short-lived processes. */
export type Fidelity = "kernel" | "poll" | "userspace";

export interface LineageEntry {
  pid: number;
  exe: string;
}

export interface ProcessInfo {
  pid?: number;
  ppid?: number;
  uid?: number;
  /** Login uid; null when the kernel says unset (4294967295). */
  auid: number | null;
  euid?: number;
  gid?: number;
  egid?: number;
  user?: string;
  auid_user?: string;
  euid_user?: string;
  exe?: string;
  comm?: string;
  argv: string[];
  /** argv came from a command line the kernel cut at 128 bytes: its last word may be incomplete. */
  argv_truncated?: boolean;
  cwd?: string;
  tty?: string;
  ses?: number | null;
  /** Ancestors, nearest first; filled in by enrich/. */
  lineage?: LineageEntry[];
  /** The parent's argv, when the process table kept it (enrich/). */
  parent_argv?: string[];
  /** The watched agent this process belongs to; filled in by enrich/. */
  agent?: string;
  /** Set by the live daemon when a process of an agent run under `clawav exec` lacks the preload guard. */
  guard?: { preload: "missing"; reason: string };
  /** The cgroup v2 id of the process (the eBPF sensor's), decimal: a container's processes share one. */
  cgroup_id?: string;
  /** The container the process runs in (enrich/, from its cgroup path, then the engine). */
  container?: ContainerInfo;
  /** What the executable really is, by content (enrich/): a copy of curl is curl whatever its name. */
  identity?: { sha256?: string; tool?: string };
}

export interface ContainerInfo {
  /** The full id (64 hex digits) as the cgroup path names it. */
  id: string;
  engine: "podman" | "docker" | "containerd" | "crio";
  /** From the engine (podman's state at once; another engine's API socket a moment later). */
  name?: string;
  image?: string;
  /** Started with --privileged: every capability and device of the host. */
  privileged?: boolean;
  /** Host folders bind-mounted in, as "host path:container path". */
  host_mounts?: string[];
  /** Namespaces it shares with the host (pid, network, ipc, uts, mount). */
  host_namespaces?: string[];
}

export interface PathItem {
  name: string;
  /** The name the process used, when it differs from the watched file it reached (a symlink). */
  named?: string;
  nametype: string;
  inode?: number;
  dev?: string;
  mode?: number;
  ouid?: number;
}

export interface FileInfo {
  /** The path the event is about, made absolute against cwd when the kernel gave a relative one. */
  path: string;
  /** Every PATH record of the event, in item order. */
  items: PathItem[];
}

export interface NetInfo {
  family: "inet" | "inet6" | "unix" | "netlink" | "other";
  address?: string;
  port?: number;
  /** Unix socket path; abstract sockets start with "@". */
  path?: string;
  /** Host name, when a source knows it (e.g. from argv); never used to excuse a connect by itself. */
  host?: string;
  /**
   * The host name this address was resolved from (enrich/): an allowed name clawav resolved
   * itself, or the name in a DNS answer the same process (or user) received just before.
   */
  resolved_host?: string;
  /** A flow clawav's nftables table logged (source netfilter): no pid, the uid that sent it. */
  netfilter?: { verdict: "logged" | "dropped"; protocol: string; src: string; sport?: number; out?: string };
}

export interface DnsInfo {
  name: string;
  addresses: string[];
}

export interface SyscallInfo {
  name: string;
  nr: number;
  arch: string;
  success: boolean | null;
  exit: number | null;
  args: string[];
  key?: string;
  /** For a signal: the process it was sent to, as clawav knew it (enrich/). */
  target?: { pid: number; exe?: string; protected?: boolean };
}

export interface SensorInfo {
  /** What happened to the sensor: kernel_lost, source_down, queue_drop, ... */
  condition: string;
  detail: string;
  value?: number;
  delta?: number;
  /** What sets this event apart from others of its condition (a firewall diff's hash): only equal keys fold as repeats. */
  key?: string;
}

/** What a gate in front of the agent decided (clawsudo, the preload guard). */
export interface GateInfo {
  gate: "clawsudo" | "preload";
  /** clawsudo: allow, deny, ask, approved, rejected, timeout, used, result; preload: deny, notice. */
  decision: "allow" | "deny" | "ask" | "approved" | "rejected" | "timeout" | "used" | "result" | "notice";
  reason: string;
  rule?: string;
  request_id?: string;
  /** sha256 of the canonical command (exe, args, cwd, uid) an approval is bound to. */
  argv_hash?: string;
  /** preload: exec, read, write, connect, or the notice's name. */
  op?: string;
  /** preload: the command a denied exec would have run. */
  target_argv?: string[];
  exit?: number;
  by?: string;
}

/** A line of the system's log (rsyslog's auth.log or syslog), as the program wrote it. */
export interface LogInfo {
  /** Which log: auth (auth.log: sshd, sudo, su, PAM) or syslog (everything else rsyslog keeps). */
  log: "auth" | "syslog";
  file: string;
  host?: string;
  program: string;
  pid?: number;
  message: string;
}

/** A finding another tool made (Falco, Samhain): judged there, carried here to alerts and the chain. */
export interface ExternalInfo {
  /** Another tool's finding, or clawav's own posture scan (a check that passed and now fails). */
  tool: "falco" | "samhain" | "scan" | "integrity" | "proxy";
  rule: string;
  /** The tool's own level, as it wrote it (Falco's priority, Samhain's severity). */
  priority: string;
  severity: Severity;
  output: string;
  tags: string[];
  /** The tool's fields (Falco's output_fields), as written. */
  fields?: Record<string, string | number | boolean | null>;
  /** The category, when the finding names it (the scan's checks do). */
  category?: Category;
}

export interface RawRecord {
  type: string;
  text: string;
}

export interface Event {
  id: string;
  /** Milliseconds since the epoch (audit timestamps carry milliseconds). */
  ts: number;
  source: SourceName;
  kind: EventKind;
  node_id: string;
  fidelity: Fidelity;
  /** Audit serial, when the source is auditd. */
  serial?: number;
  syscall?: SyscallInfo;
  process?: ProcessInfo;
  file?: FileInfo;
  net?: NetInfo;
  /** A name a process resolved and the addresses it got back (the DNS answers sensor). */
  dns?: DnsInfo;
  sensor?: SensorInfo;
  gate?: GateInfo;
  external?: ExternalInfo;
  log?: LogInfo;
  /** The fields of a user-space audit record (SERVICE_STOP unit=..., ADD_USER, USER_CMD, ...), as it wrote them. */
  fields?: Record<string, string>;
  /** Another source's copy of the same call came first (auditd and eBPF both see execs): which. */
  seen_first_by?: { source: string; event_id: string };
  /** Audit record types of the event; with `--raw`, the records themselves. */
  record_types?: string[];
  raw?: RawRecord[];
}

export type AlertAction = "alert" | "kill" | "kill_tree" | "quarantine" | "deny" | "ask" | "allow" | "none";

export interface Alert {
  event_id: string;
  ts: number;
  severity: Severity;
  category: Category;
  rule: string;
  /** Which engine raised it: behavior, policy, enforce, daemon, gate, ... */
  engine: string;
  summary: string;
  action: AlertAction;
  node_id: string;
  policy_version: string;
  event: Event;
  /** MITRE ATT&CK technique ids of the rule (T1070.003, ...). */
  mitre?: string[];
  /** Filled in by the aggregator when earlier copies were suppressed. */
  suppressed?: number;
  /** Filled in by enforce/ when a mitigation ran. */
  mitigation?: { action: string; ok: boolean; latency_ms: number; detail?: string };
}
