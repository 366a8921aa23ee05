import type { Config } from "../config/index.js";
import type { ScanReport } from "../scan/index.js";
import type { AlertSink, Event, EventIdGenerator, GateInfo, Source } from "../events/index.js";
import type { Logger } from "../log/index.js";
import type { Route } from "../api/index.js";
import { ProcfsSource } from "../sources/procfs/index.js";
import { PreloadSource } from "../sources/preload/index.js";
import { DnsAnswersSource, LIBC_CANDIDATES, SyscallsSource, ensureTracefs } from "../sources/bpftrace/index.js";
import { AuditdSource, auditdUnavailable, clawavRules, cursorFileIn, ruleContextFor, watchedPaths } from "../sources/auditd/index.js";
import { FirewallSource, hasFirewallTool } from "../sources/firewall/index.js";
import { NetfilterSource, TABLE as NFT_TABLE, type KernelLogSpec } from "../sources/netfilter/index.js";
import { activeProfiles, profileUsers } from "../profiles/index.js";
import { falcoSource } from "../sources/falco/index.js";
import { samhainSource } from "../sources/samhain/index.js";
import { syslogSource } from "../sources/syslog/index.js";
import { JournaldSource } from "../sources/journald/index.js";
import { IntegritySource } from "../sources/integrity/index.js";
import { loadPatternDir, loadSecureClaw, PATTERNS_DIR, PatternSet, PUBLIC_KEY_FILE, SKILL_DATABASES } from "../patterns/index.js";
import { chainOptionsFor, readKey, verifyChain } from "../chain/index.js";
import { join } from "node:path";
import { hostname } from "node:os";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { loadOtel, loadStream, SiemSink, type MetricsSource } from "../telemetry/index.js";
import { VERSION } from "../version.js";
import { createDispatcher, type Dispatcher } from "../alerts/index.js";
import { agentRoutes, clawsudoRoutes, type ApprovalRegistry, type PreloadGuardEnricher } from "../gate/index.js";
import type { Enforcer } from "../enforce/index.js";
import type { ProcessTable, UserNames } from "../enrich/index.js";

// The daemon is built from these tables. A new source is a folder under sources/ and one line in
// SOURCES; a new sink or API route is one line in SINKS or ROUTES. Each line names the config
// section that turns it on.

export interface SourceContext {
  config: Config;
  nodeId: string;
  ids: EventIdGenerator;
  users: UserNames;
  log: Logger;
  stateDir: string;
  isRoot: boolean;
  /** The sources made so far, in table order (procfs stands in when auditd could not start). */
  made: readonly Source[];
  /** The addresses the allowed host names resolve to now (kept fresh by the daemon's resolver). */
  allowedAddresses: () => string[];
}

/** The resolvers /etc/resolv.conf names (the DNS an agent may still ask under egress control). */
function resolvConfServers(): string[] {
  try {
    return readFileSync("/etc/resolv.conf", "utf8").split("\n").flatMap((l) => /^\s*nameserver\s+([0-9a-fA-F.:]+)\s*$/.exec(l)?.[1] ?? []);
  } catch {
    return [];
  }
}

/** journald listens here while it runs. */
const JOURNAL_SOCKET = "/run/systemd/journal/socket";

/** Where the netfilter sensor reads the kernel's lines; "auto" takes the first that can be read. */
function kernelLogSpec(source: Config["network"]["source"], file: string, journalctl: string): KernelLogSpec {
  const kmsgReadable = () => {
    try {
      accessSync("/dev/kmsg", constants.R_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (source === "kmsg" || (source === "auto" && kmsgReadable())) return { kind: "kmsg" };
  if (source === "journald" || (source === "auto" && existsSync(journalctl) && existsSync(JOURNAL_SOCKET))) return { kind: "journald", journalctl };
  return { kind: "file", path: file };
}

export interface SourceEntry {
  section: keyof Config;
  create(c: SourceContext): Source | undefined;
}

export const SOURCES: readonly SourceEntry[] = [
  {
    section: "auditd",
    create(c) {
      const why = auditdUnavailable(c.config, c.isRoot);
      if (why !== undefined) {
        c.log.warn("auditd source unavailable", { reason: why });
        return undefined;
      }
      return new AuditdSource({ config: c.config, nodeId: c.nodeId, ids: c.ids, log: c.log, cursorFile: cursorFileIn(c.stateDir), isRoot: c.isRoot });
    },
  },
  {
    section: "procfs",
    create(c) {
      const auditd = c.made.some((s) => s.name === "auditd");
      const mode = c.config.procfs.enabled;
      if (mode === false || (mode === "auto" && auditd)) return undefined;
      const reason = mode === true ? "enabled in config" : (auditdUnavailable(c.config, c.isRoot) ?? "auditd unavailable");
      return new ProcfsSource({ nodeId: c.nodeId, ids: c.ids, users: c.users, intervalMs: c.config.procfs.interval_ms, reason });
    },
  },
  {
    section: "ebpf",
    create(c) {
      const want = c.config.ebpf.dns_answers;
      if (want === false) return undefined;
      const libc = c.config.ebpf.libc ?? LIBC_CANDIDATES.find((p) => existsSync(p));
      const missing = !c.isRoot ? "clawav is not root" : !existsSync(c.config.ebpf.bpftrace) ? `${c.config.ebpf.bpftrace} is not installed` : libc === undefined ? "no libc found in the usual places (set ebpf.libc)" : undefined;
      if (missing !== undefined) {
        // Asked for outright, its absence is a warning; on "auto" it is only noted.
        if (want === true) c.log.warn("dns answers sensor unavailable", { reason: missing });
        else c.log.info("dns answers sensor off", { reason: missing });
        return undefined;
      }
      return new DnsAnswersSource({ bpftrace: c.config.ebpf.bpftrace, libc: libc!, nodeId: c.nodeId, ids: c.ids });
    },
  },
  {
    section: "ebpf",
    create(c) {
      const want = c.config.ebpf.syscalls;
      if (want === false) return undefined;
      let missing = !c.isRoot ? "clawav is not root" : !existsSync(c.config.ebpf.bpftrace) ? `${c.config.ebpf.bpftrace} is not installed` : undefined;
      // Tracepoints are read through tracefs: mounted here if the machine left it out.
      missing ??= ensureTracefs();
      if (missing !== undefined) {
        if (want === true) c.log.warn("eBPF syscall sensor unavailable", { reason: missing });
        else c.log.info("eBPF syscall sensor off", { reason: missing });
        return undefined;
      }
      // The same files and folders the audit rules watch.
      return new SyscallsSource({ bpftrace: c.config.ebpf.bpftrace, nodeId: c.nodeId, ids: c.ids, watchedPaths: watchedPaths(clawavRules(ruleContextFor(c.config))) });
    },
  },
  {
    section: "firewall",
    create(c) {
      const want = c.config.firewall.enabled;
      if (want === false) return undefined;
      // Reading the ruleset needs root (CAP_NET_ADMIN); as another user nft lists nothing.
      const missing = !c.isRoot ? "clawav is not root" : !hasFirewallTool() ? "neither nft nor iptables is installed" : undefined;
      if (missing !== undefined) {
        if (want === true) c.log.warn("firewall sensor unavailable", { reason: missing });
        else c.log.info("firewall sensor off", { reason: missing });
        return undefined;
      }
      // The netfilter sensor's own table is guarded by that sensor (it restores it), not diffed here.
      return new FirewallSource({ nodeId: c.nodeId, ids: c.ids, intervalMs: c.config.firewall.interval * 1000, ...(c.config.network.enabled ? { skipTables: [`inet ${NFT_TABLE}`] } : {}) });
    },
  },
  {
    section: "network",
    create(c) {
      const n = c.config.network;
      if (!n.enabled) return undefined;
      const nft = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].find((p) => existsSync(p));
      const missing = !c.isRoot ? "clawav is not root" : nft === undefined ? "nft is not installed (apt-get install nftables)" : undefined;
      if (missing !== undefined) {
        c.log.warn("netfilter sensor unavailable", { reason: missing });
        return undefined;
      }
      const self = process.getuid?.() ?? 0;
      const g = c.config.general;
      const named = [...g.watched_users, ...(g.watched_user !== undefined ? [g.watched_user] : [])].flatMap((u) => (/^\d+$/.test(u) ? [Number(u)] : (c.users.uid(u) ?? [])));
      const log = g.watch_all_users ? { min: 0, except: [self] } : named.length > 0 ? { uids: named } : { min: 1000, except: [self] };
      const agentUids = [...c.config.agents.flatMap((a) => (a.uid !== undefined ? [a.uid] : [])), ...profileUsers(activeProfiles(c.config)).flatMap((u) => c.users.uid(u) ?? [])];
      const egressUids = [...new Set([...agentUids, ...named])].filter((u) => u !== self && u !== 0);
      if (n.egress_control && egressUids.length === 0) c.log.warn("network.egress_control: no agent uid to apply it to ([[agents]] uid, a profile's user, or general.watched_users)");
      const dns = n.dns_servers.length > 0 ? n.dns_servers : resolvConfServers();
      return new NetfilterSource({
        nft: nft!,
        log: kernelLogSpec(n.source, n.log_path, c.config.journald.journalctl),
        nodeId: c.nodeId,
        ids: c.ids,
        spec: () => ({
          log,
          prefix: n.log_prefix,
          ratePerSecond: n.log_rate,
          ...(n.egress_control && egressUids.length > 0 ? { egress: { uids: egressUids, allowed: [...n.allowed_cidrs, ...c.allowedAddresses()], dns } } : {}),
        }),
      });
    },
  },
  {
    section: "syslog",
    create(c) {
      const s = c.config.syslog;
      if (s.enabled === false) return undefined;
      const files = [{ path: s.auth_log, log: "auth" as const }, { path: s.syslog, log: "syslog" as const }];
      // "auto" follows the files rsyslog writes; asked for outright, a file not there yet is waited for.
      const present = s.enabled === true ? files : files.filter((f) => existsSync(f.path));
      if (present.length === 0) {
        c.log.info("syslog source off", { reason: `neither ${s.auth_log} nor ${s.syslog} exists (no rsyslog?)` });
        return undefined;
      }
      return syslogSource({ files: present, nodeId: c.nodeId, ids: c.ids });
    },
  },
  {
    section: "journald",
    create(c) {
      const j = c.config.journald;
      if (j.enabled === false) return undefined;
      const syslog = c.made.some((s) => s.name === "syslog");
      const running = existsSync(JOURNAL_SOCKET);
      const missing = !existsSync(j.journalctl) ? `${j.journalctl} is not installed` : !running && j.enabled === "auto" ? "journald is not running (/run/systemd/journal/socket)" : j.enabled === "auto" && syslog ? "the syslog source reads rsyslog's files, which hold the journal's lines" : undefined;
      if (missing !== undefined) {
        if (j.enabled === true) c.log.warn("journald source unavailable", { reason: missing });
        else c.log.info("journald source off", { reason: missing });
        return undefined;
      }
      return new JournaldSource({ journalctl: j.journalctl, nodeId: c.nodeId, ids: c.ids, cursorFile: join(c.stateDir, "journald.cursor") });
    },
  },
  {
    section: "falco",
    create: (c) => (c.config.falco.enabled ? falcoSource({ path: c.config.falco.log_path, nodeId: c.nodeId, ids: c.ids }) : undefined),
  },
  {
    section: "samhain",
    create: (c) => (c.config.samhain.enabled ? samhainSource({ path: c.config.samhain.log_path, nodeId: c.nodeId, ids: c.ids }) : undefined),
  },
  {
    section: "integrity",
    create: (c) => {
      const i = c.config.integrity;
      const specs = [...activeProfiles(c.config).flatMap((p) => p.identityFiles), ...i.files];
      if (i.enabled === false || specs.length === 0 || (i.enabled === "auto" && !c.isRoot)) return undefined;
      // New and changed skills are read with the injection and supply-chain databases (signed; a bad one is left out, and said).
      const pat = loadPatternDir(PATTERNS_DIR, PUBLIC_KEY_FILE, true, SKILL_DATABASES);
      for (const e of pat.errors) c.log.warn("pattern database refused", { error: e.message });
      const dbs = pat.dbs;
      // SecureClaw's files too, as ClawAV read them, when the config names them.
      const sc = c.config.secureclaw;
      if (sc.enabled && sc.vendor_dir) {
        const v = loadSecureClaw(sc.vendor_dir);
        dbs.push(...v.dbs.filter((d) => d.name === "secureclaw-injection"));
        for (const s of v.skipped) c.log.warn("SecureClaw pattern left out", { why: s });
        if (v.dbs.length === 0) c.log.warn("SecureClaw pattern files not found", { vendor_dir: sc.vendor_dir });
        else if ((v.ageDays ?? 0) > 7) c.log.warn("SecureClaw patterns are more than 7 days old: update them", { vendor_dir: sc.vendor_dir, days: Math.floor(v.ageDays!) });
      }
      const set = new PatternSet(dbs);
      const scanText = (text: string) => set.match(text).map((h) => ({ severity: h.severity, line: `${h.db}/${h.id} (${h.severity}): ${JSON.stringify(h.match)}` }));
      return new IntegritySource({ specs, homes: ruleContextFor(c.config).homes, baselineDir: i.baseline_dir ?? join(c.stateDir, "integrity"), rescanMs: i.rescan_interval * 1000, maxDiffLines: i.max_diff_lines, nodeId: c.nodeId, ids: c.ids, log: c.log, scanText });
    },
  },
  {
    section: "preload",
    create: (c) => (c.config.preload.enabled ? new PreloadSource({ path: c.config.preload.log_path, nodeId: c.nodeId, ids: c.ids, create: c.isRoot }) : undefined),
  },
];

export interface SinkContext {
  config: Config;
  log: Logger;
  nodeId: string;
  /** The policy version in force now (a remote bundle changes it); stamped on what leaves the host. */
  policyVersion: () => string;
  /** The daemon's Prometheus series, when OTLP metrics are on: OpenTelemetry exports the same. */
  metrics?: MetricsSource;
}

export interface SinkEntry {
  section: keyof Config;
  /** A promise where the sink's code is loaded only when the config asks for it. */
  create(c: SinkContext): AlertSink | undefined | Promise<AlertSink | undefined>;
}

/** The API sink is made by the daemon itself (it also serves the routes). */
export const SINKS: readonly SinkEntry[] = [
  { section: "alerts", create: (c): Dispatcher | undefined => createDispatcher(c.config, c.log) },
  {
    section: "telemetry",
    async create(c) {
      const t = c.config.telemetry;
      if (t.format === "off" || t.endpoint === undefined) return undefined;
      const { TelemetryStream } = await loadStream();
      return new TelemetryStream({ format: t.format, endpoint: t.endpoint, events: t.events, repeats: t.repeats, headers: t.headers, ...(t.ca_file !== undefined ? { caFile: t.ca_file } : {}), nodeId: c.nodeId, policyVersion: c.policyVersion, queueSize: t.queue_size, batchSize: t.batch_size, flushIntervalMs: t.flush_interval_ms, timeoutMs: t.timeout_ms, onError: warnOnce(c.log, "telemetry export failing; records wait in its queue") });
    },
  },
  {
    section: "otel",
    async create(c) {
      const o = c.config.otel;
      if (!o.enabled) return undefined;
      const { OtelExport } = await loadOtel();
      return new OtelExport({
        protocol: o.protocol,
        endpoint: o.endpoint,
        headers: o.headers,
        ...(o.ca_file !== undefined ? { caFile: o.ca_file } : {}),
        logs: o.logs,
        events: o.events,
        minSeverity: o.min_severity,
        repeats: o.repeats,
        metrics: o.metrics,
        metricsIntervalMs: o.metrics_interval * 1000,
        queueSize: o.queue_size,
        batchSize: o.batch_size,
        flushIntervalMs: o.flush_interval_ms,
        timeoutMs: o.timeout_ms,
        resource: { hostName: hostname(), nodeId: c.nodeId, policyVersion: c.policyVersion(), serviceVersion: VERSION },
        policyVersion: c.policyVersion,
        ...(c.metrics ? { metricsSource: c.metrics } : {}),
        onError: warnOnce(c.log, "OpenTelemetry export failing; log records wait in its queue"),
      });
    },
  },
  {
    section: "siem",
    create(c) {
      const s = c.config.siem;
      if (!s.enabled) return undefined;
      return new SiemSink({ host: s.host, port: s.port, transport: s.transport, ...(s.ca_file !== undefined ? { caFile: s.ca_file } : {}), format: s.format, minSeverity: s.min_severity, repeats: s.repeats, queueSize: s.queue_size, hostname: hostname(), facility: s.facility, log: c.log });
    },
  },
];

/** A collector that is down fails every batch: said once per failing spell, not once per try. */
function warnOnce(log: Logger, what: string): (message: string) => void {
  let last = 0;
  return (message) => {
    const now = Date.now();
    if (now - last < 60_000) return;
    last = now;
    log.warn(what, { error: message });
  };
}

/** What routes may ask of the daemon. */
export interface RouteContext {
  config: Config;
  log: Logger;
  enforcer: Enforcer;
  approvals: ApprovalRegistry;
  table: ProcessTable;
  guard: PreloadGuardEnricher;
  /** Puts an event on the daemon's queue, to be judged like any other. */
  enqueue(e: Event): void;
  gateEvent(info: GateInfo, who: { user: string; uid: number; pid: number; cwd: string; exe: string; argv: string[] }): Event;
  note(type: string, data: Record<string, unknown>): void;
  /** The rules in force now (after any reload): behaviour rules, policies, Sigma, sequences. */
  rules(): RuleView[];
  /** The posture scan: its last report, and a run now. */
  scan: { report(): ScanReport | undefined; run(by: string): Promise<ScanReport> };
}

export interface RuleView {
  name: string;
  engine: "behavior" | "policy" | "sigma" | "sequence";
  severity: string;
  category: string;
  description: string;
  mitre: readonly string[];
  enabled: boolean;
  action?: string;
  origin?: string;
}

export interface RouteEntry {
  section: keyof Config;
  routes(c: RouteContext): Route[];
}

export const ROUTES: readonly RouteEntry[] = [
  {
    section: "scans",
    routes: (c) => [
      {
        method: "GET",
        path: "/api/scan",
        requireToken: true,
        handle: () => {
          const r = c.scan.report();
          return r ? { status: 200, body: r } : { status: 404, body: { error: c.config.scans.enabled ? "no posture scan has run yet (the first runs within a minute of the start; POST /api/scan runs one now)" : "the posture scan is off ([scans] enabled = false); POST /api/scan runs one now" } };
        },
      },
      {
        method: "POST",
        path: "/api/scan",
        requireToken: true,
        handle: async () => {
          try {
            return { status: 200, body: await c.scan.run("api") };
          } catch (e) {
            return { status: 500, body: { error: `the scan failed: ${e instanceof Error ? e.message : String(e)}` } };
          }
        },
      },
    ],
  },
  {
    section: "policy",
    routes: (c) => [
      { method: "GET", path: "/api/rules", requireToken: true, handle: () => ({ status: 200, body: { rules: c.rules() } }) },
      {
        method: "GET",
        path: "/api/agents",
        requireToken: true,
        handle: () => {
          const s = c.enforcer.stats;
          const names = [...new Set([...Object.keys(s.trust), ...s.quarantined.map((q) => q.agent)])].sort();
          return { status: 200, body: { mode: s.mode, agents: names.map((n) => ({ name: n, trust: s.trust[n] ?? null, quarantine: s.quarantined.find((q) => q.agent === n) ?? null })) } };
        },
      },
    ],
  },
  {
    section: "chain",
    routes: (c) => [
      {
        method: "GET",
        path: "/api/chain/verify",
        requireToken: true,
        // The chain as it is on disk now, every MAC, link and checkpoint (as clawav verify-audit does).
        handle: async () => {
          const o = chainOptionsFor(c.config);
          if (!existsSync(o.path)) return { status: 404, body: { error: `no audit chain at ${o.path}` } };
          const r = await verifyChain(o.path, readKey(o.keyFile), o.checkpointFile !== undefined && existsSync(o.checkpointFile) ? o.checkpointFile : undefined);
          return { status: 200, body: r.ok ? { ok: true, entries: r.entries, head: r.head, checkpoints: r.checkpoints } : { ok: false, line: r.line, reason: r.reason, entries: r.entries } };
        },
      },
    ],
  },
  {
    section: "enforce",
    routes: (c) => [
      {
        method: "POST",
        path: "/api/agents/",
        requireToken: true,
        handle: (_req, _url, rest) => {
          const m = /^([^/]+)\/release$/.exec(rest);
          if (!m) return { status: 404, body: { error: "want POST /api/agents/NAME/release" } };
          const agent = decodeURIComponent(m[1]!);
          let q;
          try {
            q = c.enforcer.release(agent, "api");
          } catch (e) {
            // The engine refused to unpause: the agent stays quarantined, and the caller is told why.
            return { status: 500, body: { error: `could not release ${agent}: ${e instanceof Error ? e.message : String(e)}` } };
          }
          if (!q) return { status: 404, body: { error: `agent ${agent} is not quarantined` } };
          c.log.warn("agent released", { agent, method: q.method, pids: q.pids.length });
          return { status: 200, body: { released: agent, method: q.method, pids: q.pids } };
        },
      },
    ],
  },
  {
    section: "clawsudo",
    routes: (c) => clawsudoRoutes({ registry: c.approvals, askTimeoutMs: (c.config.clawsudo.ask_timeout + 10) * 1000, record: (info, who) => c.enqueue(c.gateEvent(info, who)) }),
  },
  {
    section: "preload",
    routes: (c) =>
      agentRoutes({
        register: (a) => {
          c.table.registerRoot(a.pid, a.name);
          c.guard.register(a.name, a.uid);
          c.note("agent_registered", a);
          c.log.info("agent registered", a);
        },
      }),
  },
];
