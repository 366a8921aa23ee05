import { renameSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/index.js";
import { EventIdGenerator, type Alert, type Event } from "../events/index.js";
import { ProcessTable, WatchedFiles, createWatchedUsers, type WatchedUsers } from "../enrich/index.js";
import { systemUserNames, type UserNames } from "../enrich/index.js";
import type { Logger } from "../log/index.js";
import { AuditdSource, auditdUnavailable, clawavRules, cursorFileIn, ruleContextFor, watchedPaths } from "../sources/auditd/index.js";
import { ProcfsSource, readProc } from "../sources/procfs/index.js";
import type { Source, SourceStatus } from "../sources/types.js";
import { VERSION } from "../version.js";
import { Pipeline } from "./pipeline.js";
import { BoundedQueue } from "./queue.js";
import { sensorAlerts } from "./sensor-alerts.js";
import { Aggregator } from "./aggregator.js";
import { AuditChain, chainOptionsFor } from "../chain/index.js";
import { createDetector, formatPolicyError, type Detector } from "../detect/index.js";
import { ApiServer, loadOrCreateToken } from "../api/index.js";
import { createDispatcher, type Dispatcher } from "../alerts/index.js";
import { Enforcer, QuarantineStore, TrustScores, selfAndAncestors } from "../enforce/index.js";
import type { Mitigator } from "./pipeline.js";
import { ensureStateDir } from "./state-dir.js";
import type { Engine } from "./types.js";
import { ApprovalRegistry, agentRoutes, clawsudoRoutes, createGateEngine, preloadState, type GateInfo } from "../gate/index.js";
import { PreloadSource } from "../sources/preload/index.js";

export interface DaemonOptions {
  config: Config;
  log: Logger;
  /** Called for every event after judging (for `--events`). */
  onEvent?: (e: Event) => void;
  /** Called for every alert that passed the aggregator. */
  onAlert?: (a: Alert) => void;
  queueCapacity?: number;
  /** The detector to judge with (default: built from config; tests may pass their own). */
  detector?: Detector;
}

const NOW = () => Date.now();

export interface DaemonStatus {
  version: string;
  node_id: string;
  mode: string;
  policy_version: string;
  uptime_s: number;
  watched: string;
  sources: SourceStatus[];
  queue: { length: number; capacity: number; dropped: number; high_water: number };
  pipeline: Pipeline["stats"];
  aggregator: Aggregator["stats"];
  chain: { entries: number; head: string; checkpoint?: { seq: number; head: string; ts: number }; skipped_after_restart: number } | undefined;
  policies: number;
  alerts: Record<string, number | string> | undefined;
  enforce: Enforcer["stats"];
  process_table: { entries: number; evictions: number; proc_lookups: number };
  gates: { clawsudo_pending: number; clawsudo_refused_full: number; guarded_agents: string[]; preload_checks: { checked: number; missing: number; unknown: number } };
}

/** Shared by the daemon and replay: the enrich → detect → decide part, built from config. */
export function buildPipeline(opts: {
  config: Config;
  nodeId: string;
  users: UserNames;
  watched: WatchedUsers;
  live: boolean;
  engines: () => readonly Engine[];
  deliver: (a: Alert) => void;
  gate?: Aggregator;
  record?: (a: Alert) => void;
  mitigator?: Mitigator;
  annotate?: (e: Event) => void;
}): { pipeline: Pipeline; table: ProcessTable } {
  const { config } = opts;
  const table = new ProcessTable({
    // Live, /proc fills in processes started before clawav; replay must not look at this machine.
    lookup: opts.live ? (pid) => {
      const p = readProc(pid);
      return p ? { pid: p.pid, ppid: p.ppid, uid: p.uid, exe: p.exe, argv0: p.argv[0] ?? p.comm } : undefined;
    } : undefined,
    agents: config.agents,
    defaultAgent: (uid, user) => (opts.watched.has(uid) ? (user ?? opts.users.name(uid) ?? `uid:${uid}`) : undefined),
  });
  const pipeline = new Pipeline({
    table,
    watched: opts.watched,
    engines: opts.engines,
    deliver: opts.deliver,
    ...(opts.gate ? { gate: opts.gate } : {}),
    ...(opts.record ? { recorder: { record: opts.record } } : {}),
    ...(opts.mitigator ? { mitigator: opts.mitigator } : {}),
    ...(opts.annotate ? { annotate: opts.annotate } : {}),
    sensorAlerts: sensorAlerts(opts.nodeId, config.general.policy_version),
  });
  return { pipeline, table };
}

/**
 * The running watchdog. Sources never wait on detection: they push into a bounded queue that
 * drops its oldest entry when full (counted, and raised as a sensor alert).
 */
export class Daemon {
  readonly nodeId: string;
  readonly ids = new EventIdGenerator();
  private readonly users = systemUserNames();
  private readonly watched: WatchedUsers;
  private readonly sources: Source[] = [];
  private readonly queue: BoundedQueue<Event>;
  private readonly pipeline: Pipeline;
  private readonly table: ProcessTable;
  private detector: Detector;
  private readonly aggregator = new Aggregator();
  private chain: AuditChain | undefined;
  /** After a crash the cursor may lag: events up to the last one already alerted on are skipped. */
  private skipUpTo: { ts: number; serial: number } | undefined;
  private skipped = 0;
  private api: ApiServer | undefined;
  private readonly dispatcher: Dispatcher | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private watchedFiles: WatchedFiles | undefined;
  private filesTimer: NodeJS.Timeout | undefined;
  private readonly enforcer: Enforcer;
  apiAddress: { address: string; port: number } | undefined;
  private readonly started = Date.now();
  private draining = false;
  private reportedDrops = 0;
  private stopped = false;
  private readonly approvals = new ApprovalRegistry();
  private readonly gateEngine: Engine;
  /** Agents started by `clawav exec`: their processes must carry the preload guard. */
  private readonly guarded = new Map<string, { uid: number }>();
  private readonly guardStats = { checked: 0, missing: 0, unknown: 0 };
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: DaemonOptions) {
    const { config } = o;
    this.nodeId = config.general.node_id ?? hostname();
    this.watched = createWatchedUsers(config, process.getuid?.() ?? -1, (n) => this.users.uid(n));
    this.queue = new BoundedQueue<Event>(o.queueCapacity ?? 65_536);
    this.detector = o.detector ?? createDetector({ config });
    this.dispatcher = createDispatcher(config, o.log);
    const watched = this.watched;
    const t = config.trust;
    this.enforcer = new Enforcer(config.mode, { protectedPids: selfAndAncestors(), watched: (uid) => watched.has(uid) }, undefined, undefined, {
      trust: new TrustScores({ initial: t.initial, threshold: t.threshold, recoveryPerHour: t.recovery_per_hour, penalty: { info: 0, warning: t.penalty_warning, critical: t.penalty_critical } }),
      store: new QuarantineStore(join(config.general.state_dir, "quarantine.json")),
      auto: config.enforce.auto_quarantine,
      record: (type, data) => this.chain?.append({ ts: NOW(), type, data }),
    });
    this.gateEngine = createGateEngine(config.general.policy_version);
    const built = buildPipeline({
      config,
      nodeId: this.nodeId,
      users: this.users,
      watched: this.watched,
      live: true,
      engines: () => [this.detector, this.gateEngine],
      annotate: (e) => this.checkGuard(e),
      deliver: (a) => {
        this.api?.record(a);
        this.dispatcher?.accept(a);
        o.onAlert?.(a);
      },
      gate: this.aggregator,
      record: (a) => this.chain?.append({ ts: a.ts, type: "alert", event_id: a.event_id, alert: a }),
      mitigator: this.enforcer,
    });
    this.pipeline = built.pipeline;
    this.table = built.table;
  }

  async start(): Promise<void> {
    const { config, log } = this.o;
    const isRoot = process.getuid?.() === 0;
    const stateDir = ensureStateDir(config.general.state_dir);
    this.chain = AuditChain.open(chainOptionsFor(config));
    this.chain.onCheckpoint = (cp) => this.dispatcher?.send({ kind: "checkpoint", ts: cp.ts, node_id: this.nodeId, seq: cp.seq, head: cp.head });
    const rep = this.chain.report;
    const last = this.chain.lastAlerted();
    if (last && last.source === "auditd" && last.serial !== undefined) this.skipUpTo = { ts: last.ts, serial: last.serial };
    if (rep.repaired) log.warn("audit chain: torn last line repaired (kept aside, repair recorded in the chain)", { ...rep.repaired });
    if (rep.tailProblem) {
      log.error("audit chain does not verify", { problem: rep.tailProblem });
      this.enqueue(this.sensorEvent("chain_tampered", `the audit chain's tail does not verify: ${rep.tailProblem}`));
    }
    const why = auditdUnavailable(config, isRoot);
    if (why === undefined) {
      this.sources.push(new AuditdSource({ config, nodeId: this.nodeId, ids: this.ids, users: this.users, log, cursorFile: cursorFileIn(stateDir), isRoot }));
    } else {
      log.warn("auditd source unavailable", { reason: why });
      if (config.procfs.enabled !== false) {
        this.sources.push(new ProcfsSource({ nodeId: this.nodeId, ids: this.ids, users: this.users, intervalMs: config.procfs.interval_ms, reason: why }));
      }
    }
    if (config.procfs.enabled === true && !this.sources.some((s) => s.name === "procfs")) {
      this.sources.push(new ProcfsSource({ nodeId: this.nodeId, ids: this.ids, users: this.users, intervalMs: config.procfs.interval_ms, reason: "enabled in config" }));
    }
    if (config.preload.enabled) {
      this.sources.push(new PreloadSource({ path: config.preload.log_path, nodeId: this.nodeId, ids: this.ids, create: isRoot }));
    }
    if (config.api.enabled) {
      const token = loadOrCreateToken(config.api.token_file ?? join(stateDir, "api-token"));
      this.api = new ApiServer({ bind: config.api.bind, port: config.api.port, token, state: { status: () => ({ ...this.status(), source_details: this.sourceDetails() }) } });
      this.api.addRoute({
        method: "POST",
        path: "/api/agents/",
        requireToken: true,
        handle: (_req, _url, rest) => {
          const m = /^([^/]+)\/release$/.exec(rest);
          if (!m) return { status: 404, body: { error: "want POST /api/agents/NAME/release" } };
          const agent = decodeURIComponent(m[1]!);
          const q = this.enforcer.release(agent, "api");
          if (!q) return { status: 404, body: { error: `agent ${agent} is not quarantined` } };
          log.warn("agent released", { agent, method: q.method, pids: q.pids.length });
          return { status: 200, body: { released: agent, method: q.method, pids: q.pids } };
        },
      });
      for (const r of clawsudoRoutes({ registry: this.approvals, askTimeoutMs: (config.clawsudo.ask_timeout + 10) * 1000, record: (info, who) => this.enqueue(this.gateEvent(info, who)) })) this.api.addRoute(r);
      for (const r of agentRoutes({
        register: (a) => {
          this.table.registerRoot(a.pid, a.name);
          this.guarded.set(a.name, { uid: a.uid });
          this.chain?.append({ ts: NOW(), type: "agent_registered", data: a });
          log.info("agent registered", a);
        },
      })) this.api.addRoute(r);
      const addr = await this.api.listen();
      this.apiAddress = { address: addr.address, port: addr.port };
      // Where clawsudo and `clawav approve` find the daemon (root-only, like the token).
      const tmp = join(stateDir, `.api.json.${process.pid}`);
      writeFileSync(tmp, JSON.stringify({ address: addr.address, port: addr.port, pid: process.pid }) + "\n", { mode: 0o600 });
      renameSync(tmp, join(stateDir, "api.json"));
      this.sweepTimer = setInterval(() => {
        for (const r of this.approvals.takeExpired()) this.enqueue(this.gateEvent({ gate: "clawsudo", decision: "timeout", reason: "no answer in time (clawsudo gone)", request_id: r.id, argv_hash: r.hash }, r));
      }, 2000);
      this.sweepTimer.unref();
      log.info("api listening", { address: addr.address, port: addr.port, token_required: config.api.bind === "127.0.0.1" || config.api.bind === "::1" ? "for state-changing endpoints" : "for every endpoint" });
    }
    this.watchedFiles = new WatchedFiles(watchedPaths(clawavRules(ruleContextFor(config))));
    this.filesTimer = setInterval(() => this.watchedFiles?.refresh(), 30_000);
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
    log.info("clawav running", { version: VERSION, node_id: this.nodeId, mode: config.mode, sources: this.sources.map((s) => s.status()), watched: this.watched.describe(), state_dir: stateDir });
  }

  /** Stops the sources (cursors saved), then judges what is still queued. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.sources) await s.stop();
    this.drain(Infinity);
    for (const s of this.sources) s.commit?.(true);
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.filesTimer) clearInterval(this.filesTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.chain?.close();
    await this.dispatcher?.close();
    await this.api?.close();
    this.o.log.info("clawav stopped", { events: this.pipeline.stats.events, alerts: this.pipeline.stats.alerts, chain_entries: this.chain?.length });
  }

  /** SIGHUP: reload the engines; a broken policy keeps the old set and raises an alert. */
  reload(): void {
    const r = this.detector.reload(this.o.config);
    if (r.detector) {
      this.detector = r.detector;
      this.o.log.info("policies reloaded", { policies: r.detector.policyCount, files: r.detector.sources });
      return;
    }
    const msg = r.errors.map(formatPolicyError).join("; ");
    this.o.log.error("policy reload failed; keeping the previous policies", { errors: msg });
    this.enqueue(this.sensorEvent("policy_reload_failed", msg));
  }

  status(): DaemonStatus {
    return {
      version: VERSION,
      node_id: this.nodeId,
      mode: this.o.config.mode,
      policy_version: this.o.config.general.policy_version,
      uptime_s: Math.round((Date.now() - this.started) / 1000),
      watched: this.watched.describe(),
      sources: this.sources.map((s) => s.status()),
      queue: { length: this.queue.length, capacity: this.queue.capacity, dropped: this.queue.dropped, high_water: this.queue.highWater },
      pipeline: this.pipeline.stats,
      aggregator: this.aggregator.stats,
      chain: this.chain
        ? { entries: this.chain.length, head: this.chain.headMac(), ...(this.chain.lastCheckpoint() ? { checkpoint: { seq: this.chain.lastCheckpoint()!.seq, head: this.chain.lastCheckpoint()!.head, ts: this.chain.lastCheckpoint()!.ts } } : {}), skipped_after_restart: this.skipped }
        : undefined,
      policies: this.detector.policyCount,
      alerts: this.dispatcher?.status(),
      enforce: this.enforcer.stats,
      process_table: { entries: this.table.size, evictions: this.table.evictions, proc_lookups: this.table.lookups },
      gates: { clawsudo_pending: this.approvals.list().length, clawsudo_refused_full: this.approvals.refused_full, guarded_agents: [...this.guarded.keys()], preload_checks: { ...this.guardStats } },
    };
  }

  sourceDetails(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const s of this.sources) if (s instanceof AuditdSource) out[s.name] = s.details();
    return out;
  }

  private enqueue(e: Event): void {
    this.queue.push(e);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain(4096));
    }
  }

  private drain(max: number): void {
    let n = 0;
    for (let e = this.queue.shift(); e !== undefined; e = n < max ? this.queue.shift() : undefined) {
      n++;
      if (this.skipUpTo && e.source === "auditd" && e.serial !== undefined) {
        if (e.ts < this.skipUpTo.ts || (e.ts === this.skipUpTo.ts && e.serial <= this.skipUpTo.serial)) {
          this.skipped++;
          continue;
        }
        this.skipUpTo = undefined;
      }
      this.watchedFiles?.resolve(e);
      this.pipeline.handle(e);
      if (e.kind === "exec" && e.process) this.enforcer.onExec(e.process.agent, e.process.pid);
      this.o.onEvent?.(e);
    }
    if (this.queue.dropped > this.reportedDrops) {
      const delta = this.queue.dropped - this.reportedDrops;
      this.reportedDrops = this.queue.dropped;
      this.pipeline.handle(this.sensorEvent("queue_drop", `event queue full: dropped ${delta} oldest events`, this.queue.dropped, delta));
    }
    if (this.queue.length > 0) setImmediate(() => this.drain(4096));
    else {
      this.draining = false;
      if (!this.stopped) for (const s of this.sources) s.commit?.(false);
    }
  }

  /** A process of an agent under `clawav exec` that runs without the guard is flagged (EVASION). */
  private checkGuard(e: Event): void {
    const p = e.process;
    if (e.kind !== "exec" || !p?.agent) return;
    const g = this.guarded.get(p.agent);
    // Set-id programs run without LD_PRELOAD by the loader's design; clawsudo and auditd cover them.
    if (!g || p.uid !== g.uid || p.euid !== p.uid) return;
    this.guardStats.checked++;
    const st = preloadState(p.pid, p.exe);
    if (st.state === "missing") {
      this.guardStats.missing++;
      p.guard = { preload: "missing", reason: st.reason };
    } else if (st.state === "unknown") this.guardStats.unknown++;
  }

  private gateEvent(info: GateInfo, who: { user: string; uid: number; pid: number; cwd: string; exe: string; argv: string[] }): Event {
    return {
      id: this.ids.take(), ts: Date.now(), source: "clawsudo", kind: "gate", node_id: this.nodeId, fidelity: "userspace",
      process: { pid: who.pid, ppid: 0, uid: who.uid, euid: 0, auid: null, user: who.user, exe: who.exe, comm: "clawsudo", argv: who.argv, cwd: who.cwd },
      gate: info,
    };
  }

  private sensorEvent(condition: string, detail: string, value?: number, delta?: number): Event {
    return {
      id: this.ids.take(), ts: Date.now(), source: "daemon", kind: "sensor", node_id: this.nodeId, fidelity: "userspace",
      sensor: { condition, detail, ...(value !== undefined ? { value } : {}), ...(delta !== undefined ? { delta } : {}) },
    };
  }
}

export function stateFile(config: Config, name: string): string {
  return join(config.general.state_dir, name);
}
