import { spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { isIP } from "node:net";
import { join } from "node:path";
import { ConfigError, defaultConfig, formatIssue, parseConfig, parseDurationMs, type Config } from "../config/index.js";
import { changedSections, LIVE_SECTIONS, machineIssues } from "./config-check.js";
import { createHash } from "node:crypto";
import { AdminSocket, ensureAdminKey } from "../admin/index.js";
import { EventIdGenerator, type AlertSink, type Event, type GateInfo, type Recorder, type Source, type SourceStatus } from "../events/index.js";
import { AllowedNamesResolver, createWatchedUsers, systemUserNames, type WatchedUsers } from "../enrich/index.js";
import type { Logger } from "../log/index.js";
import { PACKAGE_ROOT, VERSION } from "../version.js";
import { BoundedQueue, NamingOrder, type AggregatorStatus, type CrossSourceStats, type NamingOrderStats, type NamingSource, type PipelineStats } from "../pipeline/index.js";
import { AuditChain, chainOptionsFor } from "../chain/index.js";
import { BEHAVIOR_RULES, commandsDbIn, createDetector, formatPolicyError, mitreOf, type Detector, type SigmaStatus } from "../detect/index.js";
import { ApiServer, isLoopback, loadOrCreateToken, WebSessions } from "../api/index.js";
import { Dispatcher } from "../alerts/index.js";
import { QuarantineStore, selfAndAncestors, type EnforcerStatus } from "../enforce/index.js";
import { ApprovalRegistry, PreloadGuardEnricher, createGateEngine } from "../gate/index.js";
import { buildPipeline, type Built } from "./build.js";
import { ROUTES, SINKS, SOURCES, type RuleView } from "./registry.js";
import { sensorEvent } from "./sensor-alerts.js";
import { ensureStateDir } from "./state-dir.js";
import { lockStateDir } from "./lock.js";
import { notifyRequest, ProgressWatch, SystemdNotifier } from "./notify.js";
import { replaceFile } from "../install/index.js";
import { newlyFailing, type CheckResult, type ScanReport } from "../scan/index.js";
import { IntegritySource } from "../sources/integrity/index.js";
import { ruleContextFor } from "../sources/auditd/index.js";
import { buildProxy, findingEvent, proxyDatabases, type LlmProxy, type ProxyStatus } from "../proxy/index.js";
import type { DaemonMetrics } from "./metrics.js";
import { HandleHistogram } from "./handle-histogram.js";
import { loadCurrent, RemotePolicy, type RemotePolicyStatus } from "../bundle/index.js";
import { EXIT, UserError } from "../errors/index.js";
import type { PatternSet } from "../patterns/index.js";

export interface DaemonOptions {
  config: Config;
  log: Logger;
  /** Called for every event after judging (for `--events`). */
  onEvent?: (e: Event) => void;
  /** More sinks (the console or NDJSON view of `clawav run`). */
  sinks?: AlertSink[];
  queueCapacity?: number;
  /** The detector to judge with (default: built from config; tests may pass their own). */
  detector?: Detector;
  /** The config file it was started with (config-update writes there; default /etc/clawav/config.toml). */
  configFile?: string;
}

const NOW = () => Date.now();

export interface DaemonStatus {
  version: string;
  node_id: string;
  mode: string;
  /** The agent profile in use (`[profile] name`, `run --profile`). */
  profile: string | null;
  policy_version: string;
  /** The remote policy bundle's fetches (policy.source = "remote"). */
  remote_policy?: RemotePolicyStatus;
  uptime_s: number;
  watched: string;
  sources: SourceStatus[];
  queue: { length: number; capacity: number; dropped: number; high_water: number; naming_waits: NamingOrderStats };
  pipeline: PipelineStats & { cross_source: CrossSourceStats };
  aggregator: AggregatorStatus;
  enrichers: Record<string, Record<string, number>>;
  chain: { entries: number; head: string; checkpoint?: { seq: number; head: string; ts: number }; skipped_after_restart: number; backlog: { pending: number; dropped: number; problem?: string } } | undefined;
  policies: number;
  sigma: SigmaStatus;
  sequences: ReturnType<Detector["sequenceStatus"]>;
  sinks: Record<string, Record<string, number | string>>;
  enforce: EnforcerStatus;
  gates: { clawsudo_pending: number; clawsudo_refused_full: number; guarded_agents: string[]; preload_checks: { checked: number; missing: number; unknown: number } };
  /** The LLM API proxy's counters, when [proxy] enabled. */
  proxy?: ProxyStatus;
}

/**
 * The composition root: it builds the sources, the pipeline and the sinks from the registries,
 * and runs them. Sources never wait on detection: they push into a bounded queue that drops its
 * oldest entry when full (counted, and raised as a sensor alert).
 */
export class Daemon {
  readonly nodeId: string;
  readonly ids = new EventIdGenerator();
  private readonly users = systemUserNames();
  private readonly watched: WatchedUsers;
  private readonly sources: Source[] = [];
  private readonly sinks: AlertSink[] = [];
  private readonly queue: BoundedQueue<Event>;
  /** Events of naming sources (DNS answers): judged before the main queue, whose connects they name. */
  private readonly early = new BoundedQueue<Event>(8192);
  private readonly naming = new NamingOrder(() => this.sources.filter((s): s is Source & NamingSource => s.readUpTo !== undefined));
  private waitTimer: NodeJS.Timeout | undefined;
  private readonly built: Built;
  private detector: Detector;
  private chain: AuditChain | undefined;
  /** After a crash the cursor may lag: auditd events the chain already holds alerts for are skipped. */
  private chained: ReadonlySet<string> | undefined;
  /** Events checked against it; past the lag a crash can leave, the check stops. */
  private chainedChecks = 0;
  private skipped = 0;
  private api: ApiServer | undefined;
  private dispatcher: Dispatcher | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private filesTimer: NodeJS.Timeout | undefined;
  apiAddress: { address: string; port: number } | undefined;
  private readonly started = Date.now();
  private draining = false;
  private reportedDrops = 0;
  private stopped = false;
  private readonly approvals = new ApprovalRegistry();
  private readonly guard = new PreloadGuardEnricher();
  private sweepTimer: NodeJS.Timeout | undefined;
  private apiFile: string | undefined;
  private admin: AdminSocket | undefined;
  private proxy: LlmProxy | undefined;
  /** prom-client's series: made at the first /metrics scrape, or at the start when OTLP metrics are on. */
  private metrics: Promise<DaemonMetrics> | undefined;
  private readonly handleTimes = new HandleHistogram();
  /** A sink that also takes each event's time through the pipeline (OpenTelemetry's histogram). */
  private timed: { recordHandle(seconds: number): void } | undefined;
  private remote: RemotePolicy | undefined;
  /** The folder of the remote bundle in force, if any. */
  private bundleDir: string | undefined;
  /** The config's policy_version, or the version of the remote bundle in force. */
  private policyVersion: string;
  private pausedUntil = 0;
  private pauseHeld = 0;
  private resumeTimer: NodeJS.Timeout | undefined;
  /** A query of clawav's own API by the agent is reconnaissance of the watch: the detector must know where it listens. */
  private readonly watchdogPorts = (): readonly number[] => [this.apiAddress?.port ?? this.o.config.api.port];
  private unlock: (() => void) | undefined;
  private names: AllowedNamesResolver | undefined;
  private notifier: SystemdNotifier | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private beatFile: string | undefined;
  private lastScan: ScanReport | undefined;
  private scanning: Promise<ScanReport> | undefined;
  private scanFile: string | undefined;
  private scanTimers: NodeJS.Timeout[] = [];
  private beatTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: DaemonOptions) {
    const { config } = o;
    this.nodeId = config.general.node_id ?? hostname();
    this.watched = createWatchedUsers(config, process.getuid?.() ?? -1, (n) => this.users.uid(n));
    this.queue = new BoundedQueue<Event>(o.queueCapacity ?? 65_536);
    this.detector = o.detector ?? createDetector({ config, watchdogPorts: this.watchdogPorts });
    this.policyVersion = config.general.policy_version;
    const gateEngine = createGateEngine(() => this.policyVersion);
    const recorder: Recorder = {
      record: (a) => this.chain?.append({ ts: a.ts, type: "alert", event_id: a.event_id, alert: a }),
      note: (type, data) => this.chain?.append({ ts: NOW(), type, data }),
    };
    this.sinks.push(...(o.sinks ?? []));
    this.built = buildPipeline({
      config,
      nodeId: this.nodeId,
      watched: this.watched,
      factsFrom: "host",
      users: this.users,
      engines: () => [this.detector, gateEngine],
      sinks: this.sinks,
      recorder,
      liveEnrichers: [this.guard],
      enforce: {
        guard: { protectedPids: selfAndAncestors(), watched: (uid) => this.watched.has(uid) },
        store: new QuarantineStore(join(config.general.state_dir, "quarantine.json")),
        record: (type, data) => recorder.note(type, data),
      },
      nextId: () => this.ids.take(),
      policyVersion: () => this.policyVersion,
    });
  }

  async start(): Promise<void> {
    const { config, log } = this.o;
    const isRoot = process.getuid?.() === 0;
    const stateDir = ensureStateDir(config.general.state_dir);
    this.unlock = lockStateDir(stateDir);
    const metrics = config.otel.enabled && config.otel.metrics ? await this.loadMetrics() : undefined;
    for (const s of SINKS) {
      const sink = await s.create({ config, log, nodeId: this.nodeId, policyVersion: () => this.policyVersion, ...(metrics ? { metrics: { registry: metrics.registry, read: () => metrics.json() } } : {}) });
      if (!sink) continue;
      if ("recordHandle" in sink && typeof sink.recordHandle === "function") this.timed = sink as AlertSink & { recordHandle(seconds: number): void };
      if (sink instanceof Dispatcher) {
        this.dispatcher = sink;
        // Paused by an admin: nothing is pushed to people but the pause's own alerts; the chain and the API still get everything.
        this.sinks.push({ name: sink.name, accept: (n) => (this.paused() && !n.alert.rule.startsWith("admin-") ? void this.pauseHeld++ : sink.accept(n)), status: () => ({ ...sink.status(), held_while_paused: this.pauseHeld }), close: () => sink.close() });
      } else this.sinks.push(sink);
    }
    this.chain = AuditChain.open(chainOptionsFor(config));
    // A full disk must not cost a recorded alert: the chain holds entries until it can write
    // them, and the people watching are told at once, through channels that need no disk.
    this.chain.onWriteFailure = (problem) => {
      log.error("audit chain write failed; entries wait in memory until the disk takes them", { problem });
      this.enqueue(this.sensor("chain_write_failed", problem));
    };
    this.chain.onWriteRecovered = (written, dropped) => log.warn("audit chain writable again", { written_late: written, dropped });
    this.chain.onCheckpoint = (cp) => this.dispatcher?.send({ kind: "checkpoint", ts: cp.ts, node_id: this.nodeId, seq: cp.seq, head: cp.head });
    const rep = this.chain.report;
    const chained = this.chain.alertedAuditEvents();
    if (chained.size > 0) this.chained = chained;
    if (rep.repaired) log.warn("audit chain: torn last line repaired (kept aside, repair recorded in the chain)", { ...rep.repaired });
    if (rep.tailProblem) {
      log.error("audit chain does not verify", { problem: rep.tailProblem });
      this.enqueue(this.sensor("chain_tampered", `the audit chain's tail does not verify: ${rep.tailProblem}`));
    }
    // The allowed names' addresses, looked up before judging starts and again when their TTL runs
    // out: judging never waits on DNS.
    const names = config.network.allowed_hosts;
    this.names = new AllowedNamesResolver(names, { servers: config.network.dns_servers });
    this.names.onChange = (resolve) => this.built.hostNames?.update(names, resolve);
    await this.names.start();
    this.built.hostNames?.update(names, this.names.table());
    if (config.policy.source === "remote") this.startRemotePolicy(stateDir);
    for (const entry of SOURCES) {
      const s = entry.create({ config, nodeId: this.nodeId, ids: this.ids, users: this.users, log, stateDir, isRoot, made: this.sources, allowedAddresses: () => this.allowedAddresses() });
      if (s) this.sources.push(s);
    }
    if (config.proxy.enabled) await this.startProxy();
    if (config.api.enabled) await this.startApi(stateDir);
    if (config.admin.enabled === true || (config.admin.enabled === "auto" && isRoot)) await this.startAdmin(stateDir);
    // What `clawav status` reads with no daemon to ask: when it last knew itself alive.
    this.beatFile = join(stateDir, "heartbeat.json");
    this.beatTimer = setInterval(() => this.writeBeat(false), 15_000);
    this.beatTimer.unref();
    this.filesTimer = setInterval(() => this.built.watchedFiles?.refresh(), 30_000);
    this.filesTimer.unref();
    for (const s of this.sources) await s.start((e) => this.enqueue(e));
    if (this.dispatcher) {
      // A heartbeat lets the human tell a killed watchdog from a quiet day.
      const beat = () => {
        const st = this.status();
        this.dispatcher?.send({ kind: "heartbeat", ts: NOW(), node_id: this.nodeId, uptime_s: st.uptime_s, events: st.pipeline.events, alerts: st.pipeline.alerts, chain_entries: st.chain?.entries ?? 0, chain_head: st.chain?.head ?? "", dropped: st.queue.dropped });
      };
      beat();
      this.heartbeat = setInterval(beat, config.alerts.heartbeat_interval * 1000);
      this.heartbeat.unref();
    }
    const sg = this.detector.sigma;
    if (sg.files > 0) log.info("sigma rules loaded", { compiled: sg.compiled, files: sg.files, refused: sg.refused.length, dirs: sg.dirs });
    log.info("clawav running", { version: VERSION, node_id: this.nodeId, mode: config.mode, sources: this.sources.map((s) => s.status()), watched: this.watched.describe(), state_dir: stateDir });
    this.startNotify();
    this.writeBeat(false);
    this.startScans(stateDir);
  }

  /**
   * Remote policy: the last good bundle kept in the state folder is in force from the first event;
   * then the server is asked now and every refresh interval. A bundle is applied like a SIGHUP
   * reload, with its folders after the config's and its version stamped on every alert.
   */
  private startRemotePolicy(stateDir: string): void {
    const p = this.o.config.policy;
    const log = this.o.log;
    if (p.url === undefined || p.public_key_file === undefined) throw new UserError('policy.source = "remote" needs policy.url and policy.public_key_file', EXIT.DATAERR);
    let pem: string;
    try {
      pem = readFileSync(p.public_key_file, "utf8");
    } catch (e) {
      throw new UserError(`policy.public_key_file: ${p.public_key_file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
    }
    const kept = loadCurrent(stateDir, pem, (why) => {
      log.error("the kept policy bundle does not verify; running without it until the server gives a good one", { problem: why });
      this.enqueue(this.sensor("policy_bundle_refused", `the policy bundle kept in ${stateDir} does not verify: ${why}`));
    });
    if (kept) {
      try {
        this.applyBundle(kept.dir, kept.bundle.version, "kept");
      } catch (e) {
        log.error("the kept policy bundle does not load; running without it", { error: (e as Error).message });
      }
    }
    this.remote = new RemotePolicy({
      url: p.url,
      publicKeyPem: pem,
      ...(p.ca_file !== undefined ? { caFile: p.ca_file } : {}),
      intervalMs: Math.round(p.refresh_interval_seconds * 1000),
      stateDir,
      currentVersion: () => (this.bundleDir !== undefined ? this.policyVersion : ""),
      onApply: (dir, version) => this.applyBundle(dir, version, p.url!),
      onFailure: (reason) => {
        log.warn("remote policy not applied; the last good policies stay in force", { url: p.url, reason });
        // A signature or version that is wrong is someone's doing; an unreachable server may be weather.
        const refused = /^bundle refused|^rollback refused|not applied/.test(reason);
        // The same refusal at every fetch folds into one entry; a different one is news.
        this.enqueue(this.sensor(refused ? "policy_bundle_refused" : "policy_fetch_failed", `${p.url}: ${reason}`, undefined, undefined, reason));
      },
    });
    this.remote.start();
  }

  /** Puts a bundle's rules in force (throws, changing nothing, when they do not load). */
  private applyBundle(dir: string, version: string, from: string): void {
    const before = { dir: this.bundleDir, version: this.policyVersion };
    this.bundleDir = dir;
    this.policyVersion = version;
    const r = this.detector.reload(this.effectiveConfig(), this.detectorOverrides());
    if (!r.detector) {
      this.bundleDir = before.dir;
      this.policyVersion = before.version;
      throw new Error(r.errors.map(formatPolicyError).join("; "));
    }
    this.detector = r.detector;
    // The proxy's DLP and injection databases come from the bundle too, where it has them.
    this.proxy?.setDatabases(proxyDatabases(this.o.config, this.o.log, this.bundlePatterns()));
    this.chain?.append({ ts: NOW(), type: "policy_bundle", data: { version, from, previous: before.version, policies: r.detector.policyCount, sigma: r.detector.sigma.compiled } });
    this.o.log.info("policy bundle applied", { version, from, previous: before.version, policies: r.detector.policyCount, sigma: r.detector.sigma.compiled });
    if (from !== "kept") this.enqueue(this.sensor("policy_bundle_applied", `policy bundle ${version} from ${from} is in force (was ${before.version}): ${r.detector.policyCount} policies, ${r.detector.sigma.compiled} Sigma rules`, undefined, undefined, version));
  }

  /** The config with the bundle's folders after its own (the bundle adds rules; the site's stay). */
  private effectiveConfig(base: Config = this.o.config): Config {
    const d = this.bundleDir;
    if (d === undefined) return base;
    return { ...base, policy: { ...base.policy, dirs: [...base.policy.dirs, join(d, "policies")] }, sigma: { ...base.sigma, dirs: [...base.sigma.dirs, join(d, "sigma")] } };
  }

  private bundlePatterns(): string | undefined {
    return this.bundleDir !== undefined ? join(this.bundleDir, "patterns") : undefined;
  }

  /** The version to stamp, and the bundle's commands database when it has one (signed with the bundle). */
  private detectorOverrides(): { policyVersion: string; loadCommands?: () => PatternSet | undefined } {
    const d = this.bundleDir;
    const patterns = d !== undefined ? join(d, "patterns") : undefined;
    if (patterns === undefined || !existsSync(join(patterns, "commands.json"))) return { policyVersion: this.policyVersion };
    return { policyVersion: this.policyVersion, loadCommands: () => commandsDbIn(patterns) };
  }

  /** The posture scan: soon after the start, then every scans.interval; kept across restarts. */
  private startScans(stateDir: string): void {
    this.scanFile = join(stateDir, "scan-last.json");
    try {
      this.lastScan = JSON.parse(readFileSync(this.scanFile, "utf8")) as ScanReport;
    } catch {
      this.lastScan = undefined;
    }
    const s = this.o.config.scans;
    if (!s.enabled) return;
    const run = () => void this.scanNow("clawav (scheduled)").catch((e: unknown) => this.o.log.error("posture scan failed", { error: e instanceof Error ? e.message : String(e) }));
    const first = setTimeout(run, Math.min(60_000, s.interval * 1000));
    const every = setInterval(run, s.interval * 1000);
    first.unref();
    every.unref();
    this.scanTimers.push(first, every);
  }

  /** The last posture scan, if one ran. */
  scanReport(): ScanReport | undefined {
    return this.lastScan;
  }

  /**
   * Runs clawav scan in a child process (its checks read files and run apt-get: the event loop
   * must not wait on them). A check that passed before and fails now is an alert.
   */
  scanNow(by: string): Promise<ScanReport> {
    if (this.scanning) return this.scanning;
    const args = [join(PACKAGE_ROOT, "dist", "cli", "clawav.js"), "scan", "--json", "--state-dir", this.o.config.general.state_dir, ...(this.o.configFile && existsSync(this.o.configFile) ? ["--config", this.o.configFile] : [])];
    const p = new Promise<ScanReport>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
      let out = "";
      let err = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
      child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
      child.on("error", reject);
      child.on("close", (code) => {
        if (code !== 0 && code !== 1) return reject(new Error(`clawav scan exited ${code}: ${err.trim().slice(0, 300)}`));
        try {
          resolve(JSON.parse(out) as ScanReport);
        } catch {
          reject(new Error(`clawav scan said something else than its report: ${out.slice(0, 200)}`));
        }
      });
    }).then((rep) => {
      const worse = newlyFailing(this.lastScan, rep);
      this.lastScan = rep;
      if (this.scanFile) this.keepState(this.scanFile, JSON.stringify(rep), "cannot keep the scan's result");
      this.chain?.append({ ts: NOW(), type: "scan", data: { by, ...rep.counts, newly_failing: worse.map((r) => r.id) } });
      this.o.log.info("posture scan", { by, ...rep.counts, newly_failing: worse.map((r) => r.id), ms: rep.duration_ms });
      for (const r of worse) this.enqueue(this.scanEvent(r));
      return rep;
    });
    this.scanning = p.finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private scanEvent(r: CheckResult): Event {
    return { id: this.ids.take(), ts: Date.now(), source: "scan", kind: "external", node_id: this.nodeId, fidelity: "userspace", external: { tool: "scan", rule: r.id, priority: r.severity, severity: r.severity, output: `${r.title}: now failing: ${r.evidence}. Fix: ${r.remedy}`, tags: [], category: r.category } };
  }

  private writeBeat(stopped: boolean): void {
    if (!this.beatFile) return;
    const st = this.built.pipeline.stats;
    this.keepState(this.beatFile, `${JSON.stringify({ ts: Date.now(), pid: process.pid, version: VERSION, events: st.events, alerts: st.alerts, stopped })}\n`, "cannot write the heartbeat file");
  }

  /** A state file replaced whole (root's, 0600); a failure (a full disk) is logged, not thrown. */
  private keepState(file: string, text: string, failure: string): void {
    try {
      writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (e) {
      this.o.log.warn(failure, { file, error: String(e) });
    }
  }

  /** Under systemd (Type=notify): READY=1 now that the sources are up, then WATCHDOG=1 while work goes on. */
  private startNotify(): void {
    const req = notifyRequest(process.env, process.pid);
    // Read once; the daemon's other children must not inherit them and speak for it.
    for (const k of ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]) delete process.env[k];
    if (!req) return;
    const n = new SystemdNotifier(req.socket, this.o.log);
    if (!n.start()) return;
    this.notifier = n;
    n.send({ READY: "1", STATUS: this.statusText(), MAINPID: String(process.pid) });
    this.o.log.info("systemd notified", { socket: req.socket, watchdog_every_ms: req.watchdogEveryMs ?? null });
    if (req.watchdogEveryMs === undefined) return;
    const watch = new ProgressWatch();
    let stalled = false;
    this.watchdogTimer = setInterval(() => {
      const ok = watch.healthy({ handled: this.built.pipeline.stats.events + this.skipped, queued: this.queue.length + this.early.length });
      if (ok) {
        if (stalled) this.o.log.warn("pipeline moving again: watchdog fed again");
        stalled = false;
        n.send({ WATCHDOG: "1", STATUS: this.statusText() });
      } else if (!stalled) {
        stalled = true;
        // systemd restarts a daemon that stops feeding it; the chain and the cursor make that safe.
        this.o.log.error("pipeline stalled: events wait and none was judged since the last watchdog tick; WATCHDOG=1 withheld", { queued: this.queue.length + this.early.length });
      }
    }, req.watchdogEveryMs);
  }

  private statusText(): string {
    const st = this.built.pipeline.stats;
    return `${st.events} events, ${st.alerts} alerts, queue ${this.queue.length + this.early.length}, dropped ${this.queue.dropped + this.early.dropped}; ${this.sources.map((s) => `${s.name} ${s.status().state}`).join(", ")}`;
  }

  /**
   * A new config, all or nothing: checked as `config check` does (file:line: key for each
   * problem), its detector built (a broken policy refuses it), only then written in place of the
   * old file (atomically, 0600) and the new detector swapped in. The sections the detector is not
   * built from take effect at the next start; the reply says which changed.
   */
  private configUpdate(args: Record<string, unknown>, by: string): unknown {
    const { log } = this.o;
    if (typeof args.text !== "string" || typeof args.name !== "string") throw new Error("config-update: want {name, text}");
    if (args.text.length > 1 << 20) throw new Error("config-update: a config over 1 MiB");
    let next: Config;
    try {
      next = parseConfig(args.text, args.name);
    } catch (e) {
      if (e instanceof ConfigError) throw new Error(`config-update refused:\n${e.issues.map(formatIssue).join("\n")}`, { cause: e });
      throw e;
    }
    const issues = machineIssues(next, args.text, args.name);
    if (issues.length > 0) throw new Error(`config-update refused:\n${issues.map(formatIssue).join("\n")}`);
    // What changed is the file's difference (the old file, else the defaults it stood in for);
    // what `run` was told on its command line still holds over both.
    const file = this.o.configFile ?? "/etc/clawav/config.toml";
    let old: Config;
    try {
      old = existsSync(file) ? parseConfig(readFileSync(file, "utf8"), file) : defaultConfig();
    } catch {
      old = defaultConfig();
    }
    const changed = changedSections(old, next);
    const cur = this.o.config;
    next = { ...next, mode: cur.mode, general: { ...next.general, state_dir: cur.general.state_dir } };
    const r = this.detector.reload(this.effectiveConfig(next), this.detectorOverrides());
    if (!r.detector) throw new Error(`config-update refused:\n${r.errors.map(formatPolicyError).join("\n")}`);
    // An installed config is immutable (chattr +i): the flag comes off for the swap and goes back on.
    replaceFile(file, args.text, 0o600);
    this.detector = r.detector;
    const now = changed.filter((k) => LIVE_SECTIONS.includes(k));
    const later = changed.filter((k) => !LIVE_SECTIONS.includes(k));
    const sha256 = createHash("sha256").update(args.text).digest("hex");
    this.chain?.append({ ts: NOW(), type: "config_update", data: { by, file, sha256, applied_now: now, after_restart: later } });
    this.enqueue(this.sensor("admin_config_updated", `${by} replaced ${file} (sha256 ${sha256.slice(0, 16)}): ${now.length > 0 ? `${now.join(", ")} applied now` : "nothing the detector uses changed"}${later.length > 0 ? `; ${later.join(", ")} at the next start` : ""}`));
    log.warn("config updated", { by, file, applied_now: now, after_restart: later });
    return { written: file, sha256, applied_now: now, after_restart: later, policies: r.detector.policyCount };
  }

  private paused(): boolean {
    return this.pausedUntil > Date.now();
  }

  /** The admin socket: status, pause and resume behind the admin key (made at the first start, shown once). */
  private async startAdmin(stateDir: string): Promise<void> {
    const { config, log } = this.o;
    const a = config.admin;
    const hashFile = a.key_hash_file ?? join(stateDir, "admin-key.hash");
    const made = ensureAdminKey(hashFile);
    // Shown once, on the terminal or the service's own output, never in a log line or the API.
    if (made.created) process.stderr.write(`\n  clawav admin key (shown this once; only its Argon2id hash is kept in ${hashFile}):\n\n    ${made.created}\n\n  Keep it in a password manager. A new one: clawav admin keygen\n\n`);
    const resume = (by: string, why: string) => {
      // pausedUntil, not paused(): the timer that ends a pause fires at (or just after) its end.
      if (this.pausedUntil === 0) return false;
      this.pausedUntil = 0;
      this.built.enforcer.pausedUntil = 0;
      if (this.resumeTimer) clearTimeout(this.resumeTimer);
      this.chain?.append({ ts: NOW(), type: "admin_resume", data: { by, why, held: this.pauseHeld } });
      this.enqueue(this.sensor("admin_resumed", `${why} (by ${by}); ${this.pauseHeld} alert(s) were kept from the channels meanwhile (all are in the chain and /api/alerts)`));
      log.warn("monitoring resumed", { by, why });
      return true;
    };
    const admin = new AdminSocket({
      path: a.socket,
      hashFile,
      mode: parseInt(a.socket_mode, 8),
      commands: {
        status: () => {
          const st = this.status();
          return { version: VERSION, node_id: this.nodeId, mode: config.mode, uptime_s: st.uptime_s, paused_until: this.paused() ? new Date(this.pausedUntil).toISOString() : null, sources: st.sources.map((s) => ({ name: s.name, state: s.state, events: s.events, drops: s.drops })), events: st.pipeline.events, alerts: st.pipeline.alerts, chain_entries: st.chain?.entries ?? 0 };
        },
        pause: (args, peer) => {
          const ms = (typeof args.duration === "string" ? parseDurationMs(args.duration) : undefined) ?? NaN;
          if (!Number.isFinite(ms) || ms <= 0 || ms > 30 * 60_000) throw new Error("pause: want a duration up to 30 minutes (e.g. 10m, 90s)");
          const by = peer.uid !== undefined ? `uid ${peer.uid}` : "an unknown client";
          this.pausedUntil = Date.now() + ms;
          this.built.enforcer.pausedUntil = this.pausedUntil;
          this.pauseHeld = 0;
          if (this.resumeTimer) clearTimeout(this.resumeTimer);
          this.resumeTimer = setTimeout(() => resume("clawav", "the pause ran out"), ms);
          this.resumeTimer.unref();
          const until = new Date(this.pausedUntil).toISOString();
          this.chain?.append({ ts: NOW(), type: "admin_pause", data: { by, until, ms } });
          this.enqueue(this.sensor("admin_paused", `paused by ${by} until ${until}: no pushes to channels and no kills or quarantines; every event is still judged and recorded`));
          log.warn("monitoring paused", { by, until });
          return { paused_until: until };
        },
        resume: (_args, peer) => ({ resumed: resume(peer.uid !== undefined ? `uid ${peer.uid}` : "an unknown client", "resumed by an admin") }),
        scan: async (_args, peer) => {
          const rep = await this.scanNow(peer.uid !== undefined ? `admin uid ${peer.uid}` : "admin");
          return { counts: rep.counts, failing: rep.results.filter((r) => r.status === "fail").map((r) => ({ id: r.id, severity: r.severity, evidence: r.evidence })) };
        },
        "config-update": (args, peer) => this.configUpdate(args, peer.uid !== undefined ? `uid ${peer.uid}` : "an unknown client"),
        "baseline-accept": (args, peer) => {
          const src = this.sources.find((x): x is IntegritySource => x instanceof IntegritySource);
          if (!src) throw new Error("baseline-accept: no identity file is watched here (the integrity source is off)");
          if (typeof args.path !== "string" || !args.path.startsWith("/")) throw new Error("baseline-accept: want an absolute path");
          const by = peer.uid !== undefined ? `uid ${peer.uid}` : "an unknown client";
          if (args.from !== undefined && (typeof args.from !== "string" || !args.from.startsWith("/"))) throw new Error("baseline-accept: from wants an absolute path");
          const r = src.accept(args.path, by, args.from);
          this.chain?.append({ ts: NOW(), type: "baseline_accept", data: { by, ...r } });
          log.warn("integrity baseline: change accepted", { by, ...r });
          return r;
        },
        // `clawav uninstall` proves the key here first: the removal is in the chain and pushed to
        // the channels before the daemon goes. Run by hand, it then stops itself.
        uninstall: (_args, peer) => {
          const by = peer.uid !== undefined ? `uid ${peer.uid}` : "an unknown client";
          this.chain?.append({ ts: NOW(), type: "admin_uninstall", data: { by } });
          this.enqueue(this.sensor("admin_uninstall", `clawav is being uninstalled by ${by}, with the admin key: the watch ends now`));
          log.warn("uninstall requested with the admin key", { by });
          // Under systemd the uninstall stops the unit (a self-exit would only be restarted).
          if (this.notifier) return { stopping: false };
          setTimeout(() => process.kill(process.pid, "SIGTERM"), 1000).unref();
          return { stopping: true };
        },
      },
      onFailure: (peer, failures) => {
        this.enqueue(this.sensor("admin_wrong_key", `${peer.client}${peer.pid !== undefined ? ` (pid ${peer.pid})` : ""} gave a wrong admin key (${failures} in a row)`));
      },
      onLockout: (peer, until) => {
        this.chain?.append({ ts: NOW(), type: "admin_lockout", data: { client: peer.client, pid: peer.pid ?? null, until: new Date(until).toISOString() } });
        this.enqueue(this.sensor("admin_lockout", `${peer.client}${peer.pid !== undefined ? ` (pid ${peer.pid})` : ""} gave 3 wrong admin keys: locked out until ${new Date(until).toISOString()}`));
      },
    });
    try {
      await admin.listen();
    } catch (e) {
      // The watch goes on without it: the admin socket pauses the watch, it is not the watch.
      log.warn("admin socket not opened", { path: a.socket, reason: e instanceof Error ? e.message : String(e) });
      return;
    }
    this.admin = admin;
    log.info("admin socket listening", { path: a.socket, mode: a.socket_mode });
  }

  /** The LLM API proxy in the daemon: its findings are events of the pipeline (chain, channels, API). */
  private async startProxy(): Promise<void> {
    const { config, log } = this.o;
    this.proxy = buildProxy(config, ruleContextFor(config).homes, log, (f) => this.enqueue(findingEvent(f, this.ids, this.nodeId)), process.env, this.bundlePatterns());
    await this.proxy.start();
  }

  private async startApi(stateDir: string): Promise<void> {
    const { config, log } = this.o;
    const token = loadOrCreateToken(config.api.token_file ?? join(stateDir, "api-token"));
    // The web dashboard signs in with the admin key (its hash is made by the admin socket's start).
    const web = new WebSessions({
      hashFile: config.admin.key_hash_file ?? join(stateDir, "admin-key.hash"),
      assetsDir: join(PACKAGE_ROOT, "dist", "web"),
      secureCookie: !isLoopback(config.api.bind),
      onLockout: (client, until) => {
        this.chain?.append({ ts: NOW(), type: "admin_lockout", data: { client: `web ${client}`, until: new Date(until).toISOString() } });
        this.enqueue(this.sensor("admin_lockout", `the web dashboard's sign-in from ${client} gave 3 wrong admin keys: locked out until ${new Date(until).toISOString()}`));
      },
    });
    const api = new ApiServer({ bind: config.api.bind, port: config.api.port, token, web, state: { status: () => ({ ...this.status(), source_details: this.sourceDetails() }) } });
    this.api = api;
    this.sinks.push(api);
    const ctx = {
      config,
      log,
      enforcer: this.built.enforcer,
      approvals: this.approvals,
      table: this.built.table,
      guard: this.guard,
      enqueue: (e: Event) => this.enqueue(e),
      gateEvent: (info: GateInfo, who: { user: string; uid: number; pid: number; cwd: string; exe: string; argv: string[] }) => this.gateEvent(info, who),
      note: (type: string, data: Record<string, unknown>) => this.chain?.append({ ts: NOW(), type, data }),
      scan: { report: () => this.scanReport(), run: (by: string) => this.scanNow(by) },
      rules: (): RuleView[] => [
        ...BEHAVIOR_RULES.map((r) => ({ name: r.id, engine: "behavior" as const, severity: r.severity, category: r.category, description: r.description, mitre: mitreOf(r.id, r.category), enabled: true })),
        ...this.detector.policies.map((p) => ({ name: p.name, engine: p.sigma ? ("sigma" as const) : p.sequence ? ("sequence" as const) : ("policy" as const), severity: p.severity, category: p.category, description: p.description ?? "", mitre: p.mitre ?? mitreOf(p.name, p.category), enabled: p.enabled, action: p.quarantine ? "quarantine" : p.enforcement, origin: p.origin })),
      ],
    };
    for (const r of ROUTES) for (const route of r.routes(ctx)) api.addRoute(route);
    // Prometheus's bearer token is the API's (authorization: credentials_file in its scrape config).
    api.addRoute({
      method: "GET",
      path: "/metrics",
      requireToken: true,
      handle: async () => {
        const metrics = await this.loadMetrics();
        return { status: 200, body: await metrics.text(), type: metrics.registry.contentType };
      },
    });
    const addr = await api.listen();
    this.apiAddress = { address: addr.address, port: addr.port };
    // Where clawsudo and `clawav approve` find the daemon (root-only, like the token).
    const tmp = join(stateDir, `.api.json.${process.pid}`);
    writeFileSync(tmp, JSON.stringify({ address: addr.address, port: addr.port, pid: process.pid }) + "\n", { mode: 0o600 });
    this.apiFile = join(stateDir, "api.json");
    renameSync(tmp, this.apiFile);
    this.sweepTimer = setInterval(() => {
      for (const r of this.approvals.takeExpired()) this.enqueue(this.gateEvent({ gate: "clawsudo", decision: "timeout", reason: "no answer in time (clawsudo gone)", request_id: r.id, argv_hash: r.hash }, r));
    }, 2000);
    this.sweepTimer.unref();
    log.info("api listening", { address: addr.address, port: addr.port, token_required: config.api.bind === "127.0.0.1" || config.api.bind === "::1" ? "for every endpoint but / and /api/health" : "for every endpoint" });
  }

  /** Stops the sources (cursors saved), then judges what is still queued. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.notifier?.send({ STOPPING: "1", STATUS: "stopping: saving the cursor and judging what is queued" });
    await this.proxy?.stop();
    this.remote?.stop();
    for (const s of this.sources) await s.stop();
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.drain(Infinity);
    for (const s of this.sources) s.commit?.(true);
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.filesTimer) clearInterval(this.filesTimer);
    this.names?.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    await this.admin?.close();
    const unwritten = this.chain?.close() ?? 0;
    if (unwritten > 0) this.o.log.error("audit chain entries could not be written before the stop (the disk still refuses them)", { entries: unwritten });
    for (const s of this.sinks) await s.close?.();
    if (this.apiFile) rmSync(this.apiFile, { force: true });
    if (this.beatTimer) clearInterval(this.beatTimer);
    for (const t of this.scanTimers) clearTimeout(t);
    this.writeBeat(true);
    this.unlock?.();
    await this.notifier?.close();
    this.o.log.info("clawav stopped", { events: this.built.pipeline.stats.events, alerts: this.built.pipeline.stats.alerts, chain_entries: this.chain?.length });
  }

  /** SIGHUP: reload the engines; a broken policy keeps the old set and raises an alert. */
  reload(): void {
    const r = this.detector.reload(this.effectiveConfig(), this.detectorOverrides());
    if (r.detector) {
      this.detector = r.detector;
      this.o.log.info("policies reloaded", { policies: r.detector.policyCount, files: r.detector.sources, sigma: r.detector.sigma.compiled });
      return;
    }
    const msg = r.errors.map(formatPolicyError).join("; ");
    this.o.log.error("policy reload failed; keeping the previous policies", { errors: msg });
    this.enqueue(this.sensor("policy_reload_failed", msg));
  }

  status(): DaemonStatus {
    const cp = this.chain?.lastCheckpoint();
    const b = this.built;
    return {
      version: VERSION,
      node_id: this.nodeId,
      mode: this.o.config.mode,
      profile: this.o.config.profile.name ?? null,
      policy_version: this.policyVersion,
      ...(this.remote ? { remote_policy: this.remote.status() } : {}),
      uptime_s: Math.round((Date.now() - this.started) / 1000),
      watched: this.watched.describe(),
      sources: this.sources.map((s) => s.status()),
      queue: { length: this.queue.length + this.early.length, capacity: this.queue.capacity, dropped: this.queue.dropped + this.early.dropped, high_water: this.queue.highWater, naming_waits: { ...this.naming.stats } },
      pipeline: { ...b.pipeline.stats, cross_source: { ...b.matcher.stats } },
      aggregator: b.aggregator.status(),
      enrichers: { ...Object.fromEntries(b.enrichers.flatMap((e) => (e.status ? [[e.name, e.status()]] : []))), ...(this.names ? { "allowed-names": { ...this.names.status() } } : {}) },
      chain: this.chain ? { entries: this.chain.length, head: this.chain.headMac(), ...(cp ? { checkpoint: { seq: cp.seq, head: cp.head, ts: cp.ts } } : {}), skipped_after_restart: this.skipped, backlog: this.chain.backlog } : undefined,
      policies: this.detector.policyCount,
      sigma: this.detector.sigma,
      sequences: this.detector.sequenceStatus(),
      sinks: Object.fromEntries(this.sinks.flatMap((s) => (s.status ? [[s.name, s.status()]] : []))),
      enforce: b.enforcer.stats,
      gates: { clawsudo_pending: this.approvals.list().length, clawsudo_refused_full: this.approvals.refused_full, guarded_agents: this.guard.agents(), preload_checks: { ...this.guard.stats } },
      ...(this.proxy ? { proxy: this.proxy.status() } : {}),
    };
  }

  sourceDetails(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const s of this.sources) if (s.details) out[s.name] = s.details();
    return out;
  }

  /** Every address the allowed host names resolve to now (numeric allowed hosts as they are). */
  private allowedAddresses(): string[] {
    const table = this.names?.table();
    const out = new Set<string>();
    for (const h of this.o.config.network.allowed_hosts) {
      if (isIP(h) !== 0) out.add(h);
      else for (const a of table?.(h) ?? []) out.add(a);
    }
    return [...out];
  }

  private enqueue(e: Event): void {
    (e.kind === "dns" ? this.early : this.queue).push(e);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain(4096));
    }
  }

  /** prom-client's series over the daemon's status (the same for a scrape and an OTLP export), made once. */
  private loadMetrics(): Promise<DaemonMetrics> {
    this.metrics ??= import("./metrics.js").then(
      ({ DaemonMetrics }) =>
        new DaemonMetrics(() => {
          const st = this.status();
          const sec = this.api?.security();
          const en = st.enforce;
          return {
            events: st.pipeline.events,
            alerts: st.pipeline.alerts,
            alertsBySeverity: sec?.by_severity ?? {},
            alertsByCategory: sec?.by_category ?? {},
            sources: st.sources,
            queue: st.queue,
            chainEntries: st.chain?.entries,
            sinks: st.sinks,
            mitigation: { kills_ok: en.kills_ok, kills_failed: en.kills_failed, would_kill: en.would_kill, quarantine_failed: en.quarantine_failed, would_quarantine: en.would_quarantine, latency_ms: en.latency_ms },
            ...(st.proxy ? { proxy: st.proxy } : {}),
          };
        }, { node_id: this.nodeId }, this.handleTimes),
    );
    return this.metrics;
  }

  /** One event through the pipeline, timed for /metrics and an OpenTelemetry export. */
  private handle(e: Event): void {
    const t0 = performance.now();
    this.built.pipeline.handle(e);
    const s = (performance.now() - t0) / 1000;
    this.handleTimes.observe(s);
    this.timed?.recordHandle(s);
  }

  private drain(max: number): void {
    this.waitTimer = undefined;
    let n = 0;
    for (let e = this.early.shift(); e !== undefined; e = this.early.shift()) {
      n++;
      this.handle(e);
      this.o.onEvent?.(e);
    }
    for (let e = this.queue.peek(); e !== undefined && n < max; e = this.queue.peek()) {
      // A connect whose name is still on its way: everything behind it waits too, in order.
      if (!this.stopped && this.naming.mustWait(e, Date.now())) {
        this.waitTimer = setTimeout(() => this.drain(4096), 10);
        return;
      }
      this.queue.shift();
      n++;
      if (this.chained && e.source === "auditd" && e.serial !== undefined) {
        if (this.chained.has(`${e.ts}:${e.serial}`)) {
          this.skipped++;
          continue;
        }
        // The cursor lags a crash by at most a commit interval's events; well past it, stop looking.
        if (++this.chainedChecks > 100_000) this.chained = undefined;
      }
      this.handle(e);
      this.o.onEvent?.(e);
    }
    const dropped = this.queue.dropped + this.early.dropped;
    if (dropped > this.reportedDrops) {
      const delta = dropped - this.reportedDrops;
      this.reportedDrops = dropped;
      this.built.pipeline.handle(this.sensor("queue_drop", `event queue full: dropped ${delta} oldest events`, dropped, delta));
    }
    if (this.queue.length + this.early.length > 0) setImmediate(() => this.drain(4096));
    else {
      this.draining = false;
      if (!this.stopped) for (const s of this.sources) s.commit?.(false);
    }
  }

  private gateEvent(info: GateInfo, who: { user: string; uid: number; pid: number; cwd: string; exe: string; argv: string[] }): Event {
    return {
      id: this.ids.take(), ts: Date.now(), source: "clawsudo", kind: "gate", node_id: this.nodeId, fidelity: "userspace",
      process: { pid: who.pid, ppid: 0, uid: who.uid, euid: 0, auid: null, user: who.user, exe: who.exe, comm: "clawsudo", argv: who.argv, cwd: who.cwd },
      gate: info,
    };
  }

  private sensor(condition: string, detail: string, value?: number, delta?: number, key?: string): Event {
    return sensorEvent(this.ids.take(), this.nodeId, condition, detail, value, delta, key);
  }
}

