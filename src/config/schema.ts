import { isIP } from "node:net";
import { z } from "zod";

// One schema: it gives the TypeScript type (Config), the checks, and the defaults, so the
// daemon runs with no file at all. Every object is strict: an unknown key is an error.

const severity = z.enum(["info", "warning", "critical"]);
const secret = z.string().min(1);
/** A URL clawav posts to: http or https only (never file:, never a local socket by mistake). */
const httpUrl = secret.refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}, "expected an http:// or https:// URL");
/** An IPv4/IPv6 address or CIDR block. */
const cidr = z.string().refine((v) => {
  const [addr, bits, extra] = v.split("/");
  if (extra !== undefined || !addr) return false;
  const fam = isIP(addr);
  if (fam === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (fam === 4 ? 32 : 128);
}, "expected an IP address or a CIDR block like 10.0.0.0/8 or 2001:db8::/32");
/** Milliseconds for a timer: a whole positive number a Node timer can keep (at most 24 days). */
const millis = z.number().int().positive().max(2_073_600_000, "at most 2073600000 (24 days): longer timers cannot be kept");
/** Seconds, as a positive number; at most 24 days, the longest a Node timer can wait. */
const seconds = z.number().positive().max(2_073_600, "at most 2073600 (24 days): longer timers cannot be kept");

const general = z
  .strictObject({
    /** One watched user, the older single-user form of watched_users. */
    watched_user: z.string().optional(),
    /** uids (or user names) to watch; empty means every uid >= 1000 except clawav's own. */
    watched_users: z.array(z.string()).default([]),
    watch_all_users: z.boolean().default(false),
    min_alert_level: severity.default("warning"),
    log_file: z.string().optional(),
    log_level: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** Where clawav keeps its cursor, keys and chain. */
    state_dir: z.string().default("/var/lib/clawav"),
    node_id: z.string().optional(),
    policy_version: z.string().default("builtin"),
  })
  .prefault({});

const auditd = z
  .strictObject({
    enabled: z.boolean().default(true),
    log_path: z.string().default("/var/log/audit/audit.log"),
    /** Install clawav's own audit rules (key `clawav`) at start, when root. */
    install_rules: z.boolean().default(true),
    /** How often to read the kernel's audit status (lost, backlog). */
    status_interval: seconds.default(5),
    /** An event whose EOE never comes is flushed after this many milliseconds. */
    eoe_timeout_ms: millis.default(2000),
    /** Raise the kernel's backlog limit to at least this when installing rules. */
    backlog_limit: z.number().int().positive().default(8192),
    /**
     * Switch the kernel's audit back on (auditctl -e 1) when something switched it off, when root.
     * The critical alert is raised either way. Debian's journald does it on every start (Audit=no).
     */
    restore_enabled: z.boolean().default(true),
  })
  .prefault({});

const procfs = z
  .strictObject({
    /** "auto": only when auditd cannot be used (not root, or no auditd). */
    enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
    interval_ms: millis.default(250),
  })
  .prefault({});

const firewall = z
  .strictObject({
    /** "auto": when clawav runs as root and nft or legacy iptables is installed. */
    enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
    /** Seconds between snapshots of the ruleset. */
    interval: seconds.default(30),
  })
  .prefault({});

const syslog = z
  .strictObject({
    /** "auto": when one of the files exists (rsyslog writes them; journald alone does not). */
    enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
    auth_log: z.string().default("/var/log/auth.log"),
    syslog: z.string().default("/var/log/syslog"),
  })
  .prefault({});

const ebpf = z
  .strictObject({
    /**
     * The names processes resolve and the addresses they get back (a bpftrace uprobe on libc's
     * getaddrinfo), so a connect to an allowed name's address is judged as a connect to that name.
     * "auto": when clawav runs as root and bpftrace is installed.
     */
    dns_answers: z.union([z.boolean(), z.literal("auto")]).default("auto"),
    /**
     * Exec, connect and opens of watched paths from syscall tracepoints: sooner than auditd's,
     * and a call both saw is judged once. "auto": when clawav runs as root and bpftrace is installed.
     */
    syscalls: z.union([z.boolean(), z.literal("auto")]).default("auto"),
    bpftrace: z.string().default("/usr/bin/bpftrace"),
    /** libc whose getaddrinfo is watched; default: the first of the usual places that exists. */
    libc: z.string().optional(),
  })
  .prefault({});

const admin = z
  .strictObject({
    /** The admin socket (status, pause, resume) guarded by the admin key. "auto": as root. */
    enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
    socket: z.string().regex(/^\//, "an absolute path").default("/run/clawav/admin.sock"),
    /** Who may try a key at all (the key still decides): "0600" root only. */
    socket_mode: z.string().regex(/^0?[0-7]{3}$/, "an octal mode such as \"0600\"").default("0600"),
    /** The admin key's Argon2id hash; default <state_dir>/admin-key.hash. */
    key_hash_file: z.string().regex(/^\//, "an absolute path").optional(),
  })
  .prefault({});

const journald = z
  .strictObject({
    /**
     * The systemd journal followed with journalctl, each entry a log event judged as auth.log's
     * lines are. "auto": when journald runs and the syslog source does not (rsyslog reads the
     * journal on most machines: the same lines twice would be two alerts).
     */
    enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
    journalctl: z.string().regex(/^\//, "an absolute path").default("/usr/bin/journalctl"),
  })
  .prefault({});

const containers = z
  .strictObject({
    /** Which container each process runs in (its cgroup), and what the engine says of it. "auto": as root. */
    enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
    /** Podman's storage (graphroot in /etc/containers/storage.conf), read for names, images, mounts. */
    podman_root: z.string().regex(/^\//, "an absolute path").default("/var/lib/containers/storage"),
    /** Docker-compatible API sockets asked about containers podman's state does not name, in order. */
    sockets: z.array(z.string().regex(/^\//, "an absolute path")).default(["/run/docker.sock", "/run/podman/podman.sock"]),
  })
  .prefault({});

const network = z
  .strictObject({
    /** The netfilter sensor: clawav's nftables table logs the watched users' new outbound flows. */
    enabled: z.boolean().default(false),
    /** The file the kernel's messages are written to, for source = "file" (rsyslog's kern.log). */
    log_path: z.string().regex(/^\//, "an absolute path").default("/var/log/kern.log"),
    log_prefix: z.string().regex(/^[A-Z][A-Z0-9_]{0,20}$/, "capitals, digits and _ (at most 21): it is matched in the kernel's log").default("CLAWAV_NET"),
    /**
     * Where the kernel's log lines are read: kmsg (/dev/kmsg), journald (journalctl --dmesg) or
     * file (log_path). "auto": kmsg when it can be read, else journald when it runs, else the file.
     */
    source: z.enum(["auto", "kmsg", "journald", "file"]).default("auto"),
    /** Drop the agents' flows to anywhere but loopback, allowed_cidrs, allowed_hosts and the DNS servers. */
    egress_control: z.boolean().default(false),
    /** Log lines a second the table may write, at most (the kernel's log is shared). */
    log_rate: z.number().int().positive().max(10_000).default(50),
    /** Hosts an agent may talk to; connects elsewhere by network tools are judged. */
    allowed_hosts: z
      .array(z.string())
      .default([
        "api.anthropic.com",
        "api.openai.com",
        "github.com",
        "api.github.com",
        "codeload.github.com",
        "objects.githubusercontent.com",
        "registry.npmjs.org",
        "pypi.org",
        "files.pythonhosted.org",
        "deb.debian.org",
        "security.debian.org",
      ]),
    /** Addresses and CIDRs an agent may connect to (connect events carry addresses, not names). */
    allowed_cidrs: z.array(cidr).default([]),
    /** DNS servers ("ip" or "ip:port") that resolve allowed_hosts; empty: the system's resolv.conf. */
    dns_servers: z.array(z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]+)(:\d{1,5})?$/, "expected an IP address, optionally with :port")).default([]),
  })
  .prefault({});

const tailSource = (path: string) =>
  z
    .strictObject({
      enabled: z.boolean().default(false),
      log_path: z.string().default(path),
    })
    .prefault({});

const api = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Loopback by default; any other bind requires the bearer token for every endpoint. */
    bind: z.string().refine((v) => v === "localhost" || isIP(v) !== 0, "expected an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost").default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(18791),
    token_file: z.string().optional(),
  })
  .prefault({});

const scans = z
  .strictObject({
    /** The posture scan in the daemon (clawav scan's checks, in a child process). */
    enabled: z.boolean().default(true),
    interval: seconds.default(3600),
  })
  .prefault({});

const integrity = z
  .strictObject({
    /** The agents' identity files watched and restored. "auto": as root, when a profile or this section names files. */
    enabled: z.union([z.boolean(), z.literal("auto")]).default("auto"),
    /** Besides the active profile's identity_files: absolute, or relative to each agent home; `*` within one segment. */
    files: z
      .array(
        z.strictObject({
          path: z.string().min(1).refine((p) => !p.split("/").includes(".."), "no .. in the path"),
          mode: z.enum(["protected", "watched"]).default("watched"),
        }),
      )
      .default([]),
    /** Where the baseline (hashes and root-owned copies) lives; default <state_dir>/integrity. */
    baseline_dir: z.string().regex(/^\//, "an absolute path").optional(),
    /** A full look at every file (and new matches of a pattern) this often, besides inotify. */
    rescan_interval: seconds.default(60),
    max_diff_lines: z.number().int().positive().max(1000).default(60),
  })
  .prefault({});

const absolute = z.string().regex(/^\//, "an absolute path");

const policy = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Extra policy folders, read after the package's own policies/. */
    dirs: z.array(z.string()).default(["/etc/clawav/policies"]),
    /** One extra policy folder, the older single-folder form of dirs. */
    dir: z.string().optional(),
    /** "remote": also a signed bundle (policies, Sigma rules, pattern databases) fetched from `url`. */
    source: z.enum(["file", "remote"]).default("file"),
    /** https (http only to a loopback host): where the signed bundle is fetched. */
    url: httpUrl.optional(),
    /** The Ed25519 public key (PEM) bundles must be signed with. */
    public_key_file: absolute.optional(),
    /** PEM trusted for the bundle server besides the system's roots. */
    ca_file: absolute.optional(),
    /** Seconds between fetches (at least 1: a policy server is not to be hammered). */
    refresh_interval_seconds: seconds.min(1, "at least 1 second").default(300),
  })
  .prefault({})
  .superRefine((v, ctx) => {
    if (v.source !== "remote") return;
    if (v.url === undefined) ctx.addIssue({ code: "custom", path: ["url"], message: 'source = "remote" needs url (or run with --policy-url URL)' });
    if (v.public_key_file === undefined) ctx.addIssue({ code: "custom", path: ["public_key_file"], message: 'source = "remote" needs public_key_file: the Ed25519 public key bundles are signed with' });
  });

const sigma = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Folders of Sigma rules (searched below, as SigmaHQ nests them); a missing folder is skipped. */
    dirs: z.array(z.string()).default(["/etc/clawav/sigma"]),
    /** What enforce mode does for a Sigma rule of level high or critical. */
    enforcement: z.enum(["none", "kill", "kill_tree"]).default("none"),
  })
  .prefault({});

const chain = z
  .strictObject({
    path: z.string().optional(),
    key_file: z.string().optional(),
    checkpoint_file: z.string().optional(),
    /** always: fsync every append; batch: at most every `fsync_interval_ms`; never: leave it to the OS. */
    fsync: z.enum(["always", "batch", "never"]).default("batch"),
    fsync_interval_ms: millis.default(200),
    checkpoint_every: z.number().int().positive().default(100),
  })
  .prefault({});

const slack = z
  .strictObject({
    webhook_url: httpUrl.optional(),
    backup_webhook_url: httpUrl.optional(),
    channel: z.string().optional(),
    min_slack_level: severity.optional(),
  })
  .prefault({});

const alerts = z
  .strictObject({
    enabled: z.boolean().default(false),
    min_severity: severity.default("warning"),
    dedupe_window: seconds.default(60),
    rate_limit: z.number().int().positive().default(60),
    queue_size: z.number().int().positive().default(128),
    max_retries: z.number().int().min(0).default(5),
    timeout_ms: millis.default(5000),
    heartbeat_interval: seconds.default(86400),
    webhook_url: httpUrl.optional(),
    discord_webhook_url: httpUrl.optional(),
    telegram_bot_token: secret.optional(),
    telegram_chat_id: z.string().optional(),
    telegram_api_base: httpUrl.default("https://api.telegram.org"),
  })
  .prefault({});

const agent = z.strictObject({
  name: z.string().min(1),
  uid: z.number().int().min(0).optional(),
  /** A process tree rooted at a process whose exe or argv[0] base name is this. */
  command: z.string().optional(),
  /** A container by name, or by id (at least 12 hex digits): every process in it is this agent. */
  container: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a container name or id").optional(),
});

/** An agent profile (profiles/NAME.yaml in the package, or "full" for all of them). */
const profile = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, "a profile name: lower-case letters, digits and - (clawav profiles list)").optional(),
  })
  .prefault({});

const trust = z
  .strictObject({
    initial: z.number().min(0).max(100).default(100),
    threshold: z.number().min(0).max(100).default(40),
    /** Points restored per hour without alerts. */
    recovery_per_hour: z.number().min(0).default(10),
    penalty_warning: z.number().min(0).default(5),
    penalty_critical: z.number().min(0).default(25),
  })
  .prefault({});

const enforce = z
  .strictObject({
    /** Freeze an agent when its trust falls below the threshold. */
    auto_quarantine: z.boolean().default(true),
  })
  .prefault({});

const clawsudo = z
  .strictObject({
    ask_timeout: seconds.default(300),
    policy_dirs: z.array(z.string()).default(["/etc/clawav/policies"]),
  })
  .prefault({});

const preload = z
  .strictObject({
    enabled: z.boolean().default(true),
    policy_file: z.string().default("/etc/clawav/preload-policy.json"),
    log_path: z.string().default("/var/log/clawav/preload.log"),
    library: z.string().optional(),
  })
  .prefault({});

const seccomp = z
  .strictObject({
    /** Ed25519 public key (PEM file); when set, unsigned whitelists are refused. */
    public_key: z.string().optional(),
  })
  .prefault({});

const secureclaw = z
  .strictObject({
    enabled: z.boolean().default(false),
    vendor_dir: z.string().optional(),
  })
  .prefault({});

const upstream = z.strictObject({
  /** What keys name as their upstream. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "lower-case letters, digits, _ and -"),
  /** The provider's API: Anthropic Messages, or OpenAI Chat Completions/Responses and compatible ones. */
  api: z.enum(["anthropic", "openai"]),
  /** https:// only: the real key crosses it. */
  url: z.string().refine((v) => {
    try {
      return new URL(v).protocol === "https:";
    } catch {
      return false;
    }
  }, "expected an https:// URL (the real key travels to it)"),
});

const proxy = z
  .strictObject({
    /** The LLM API proxy in the daemon (clawav proxy runs it alone). */
    enabled: z.boolean().default(false),
    /** Loopback only: the agent on this machine is its client. */
    bind: z.string().refine((v) => v === "127.0.0.1" || v === "::1" || v === "localhost", "loopback only: 127.0.0.1, ::1 or localhost").default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(18792),
    /** Also a unix socket (mode 0666: any local agent may connect; its virtual key and uid decide). */
    socket: z.string().regex(/^\//, "an absolute path").optional(),
    /** Virtual keys: root's, mode 0600 (clawav proxy keys add|list|revoke). */
    keys_file: z.string().regex(/^\//, "an absolute path").default("/etc/clawav/proxy-keys.toml"),
    /** PEM bundle trusted for the upstreams besides the system's roots (a test CA, a corporate one). */
    ca_file: z.string().regex(/^\//, "an absolute path").optional(),
    upstreams: z
      .array(upstream)
      .default([
        { name: "anthropic", api: "anthropic", url: "https://api.anthropic.com" },
        { name: "openai", api: "openai", url: "https://api.openai.com" },
      ]),
    /** Request bodies larger than this are refused (413): they are read whole for DLP. */
    max_body_mb: z.number().positive().max(1024).default(32),
    /** DLP on request bodies with the privacy database: its block, redact and warn as written. */
    dlp: z.boolean().default(true),
    /** Responses too (alert only: what was sent cannot be taken back). */
    scan_responses: z.boolean().default(false),
    /** Files whose secrets are known by fingerprint (absolute, or relative to each agent home and root's; `*` in a segment). */
    fingerprint_files: z.array(z.string().min(1)).default([".ssh/id_*", ".aws/credentials", ".netrc", ".git-credentials", ".config/gh/hosts.yml", ".docker/config.json", ".kube/config", "/etc/ssh/ssh_host_*_key"]),
    /** Prompt-injection phrases in tool results passed back into a prompt. */
    tool_results: z.enum(["off", "warn", "block"]).default("warn"),
  })
  .prefault({});

/** Seed 003's stream: events and alerts as NDJSON over HTTP, or to clawav's gRPC service. */
const telemetry = z
  .strictObject({
    format: z.enum(["off", "json", "grpc"]).default("off"),
    /** json: an http(s) URL; grpc: host:port, or https://host:port for TLS. */
    endpoint: z.string().min(1).optional(),
    /** Every judged event too, not only alerts. */
    events: z.boolean().default(true),
    /** Every repeat of a detection folded within alerts.dedupe_window too (default: the first of each). */
    repeats: z.boolean().default(false),
    headers: z.record(z.string(), z.string()).default({}),
    ca_file: absolute.optional(),
    queue_size: z.number().int().positive().max(10_000_000).default(100_000),
    batch_size: z.number().int().positive().max(100_000).default(500),
    flush_interval_ms: millis.default(1000),
    timeout_ms: millis.default(10_000),
  })
  .prefault({})
  .superRefine((v, ctx) => {
    if (v.format !== "off" && v.endpoint === undefined) ctx.addIssue({ code: "custom", path: ["endpoint"], message: `format = "${v.format}" needs an endpoint` });
    if (v.format === "json" && v.endpoint !== undefined && !/^https?:\/\//.test(v.endpoint)) ctx.addIssue({ code: "custom", path: ["endpoint"], message: "format = \"json\" posts to an http:// or https:// URL" });
  });

/** OpenTelemetry: alerts (and optionally events) as OTLP logs, the daemon's figures as OTLP metrics. */
const otel = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** http: OTLP/HTTP with protobuf (port 4318); grpc: OTLP/gRPC (port 4317). */
    protocol: z.enum(["http", "grpc"]).default("http"),
    /** http: the collector's base URL (/v1/logs, /v1/metrics are added); grpc: host:port or a URL. */
    endpoint: z.string().min(1).default("http://127.0.0.1:4318"),
    headers: z.record(z.string(), z.string()).default({}),
    ca_file: absolute.optional(),
    logs: z.boolean().default(true),
    /** Every judged event as a log record too (a lot of data: an exec is an event). */
    events: z.boolean().default(false),
    min_severity: severity.default("info"),
    /** Every repeat of a detection folded within alerts.dedupe_window too (default: the first of each). */
    repeats: z.boolean().default(false),
    metrics: z.boolean().default(true),
    /** Seconds between OTLP metric exports (at least 1). */
    metrics_interval: seconds.min(1, "at least 1 second").default(15),
    queue_size: z.number().int().positive().max(10_000_000).default(100_000),
    batch_size: z.number().int().positive().max(100_000).default(512),
    flush_interval_ms: millis.default(1000),
    timeout_ms: millis.default(10_000),
  })
  .prefault({});

/** A SIEM: syslog (RFC 5424, octet-counted) over TCP or TLS, with clawav's structured data or CEF. */
const siem = z
  .strictObject({
    enabled: z.boolean().default(false),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).default(6514),
    transport: z.enum(["tcp", "tls"]).default("tls"),
    ca_file: absolute.optional(),
    format: z.enum(["rfc5424", "cef"]).default("rfc5424"),
    min_severity: severity.default("warning"),
    /** Every repeat of a detection folded within alerts.dedupe_window too (default: the first of each). */
    repeats: z.boolean().default(false),
    /** Syslog facility number (20 = local4). */
    facility: z.number().int().min(0).max(23).default(20),
    queue_size: z.number().int().positive().max(10_000_000).default(10_000),
  })
  .prefault({});

export const configSchema = z.strictObject({
  mode: z.enum(["monitor", "enforce"]).default("monitor"),
  general,
  auditd,
  procfs,
  ebpf,
  firewall,
  syslog,
  admin,
  journald,
  containers,
  network,
  falco: tailSource("/var/log/falco/falco_output.jsonl"),
  samhain: tailSource("/var/log/samhain/samhain.log"),
  api,
  scans,
  integrity,
  policy,
  sigma,
  chain,
  slack,
  alerts,
  agents: z.array(agent).default([]),
  profile,
  trust,
  enforce,
  clawsudo,
  preload,
  seccomp,
  secureclaw,
  proxy,
  telemetry,
  otel,
  siem,
});

export type Config = z.infer<typeof configSchema>;

/** Keys whose values never appear in logs, API output or `config print`. */
export const SECRET_KEYS: readonly string[] = [
  "slack.webhook_url",
  "slack.backup_webhook_url",
  "alerts.webhook_url",
  "alerts.discord_webhook_url",
  "alerts.telegram_bot_token",
];
