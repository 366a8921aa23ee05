import type { Config } from "../config/index.js";
import type { AlertSink, Enricher, Engine, Event, Recorder } from "../events/index.js";
import { activeProfiles, profileAgents } from "../profiles/index.js";
import { ContainerEnricher, PodmanState, DnsAnswersEnricher, HostNamesEnricher, signalTargetEnricher, ProcessTable, WatchedFiles, createExeIdentity, etcHostsResolver, identityEnricher, lineageEnricher, systemUserNames, userNamesEnricher, watchedEvent, type ResolveHostFn, type UserNames, type WatchedUsers } from "../enrich/index.js";
import { Enforcer, TrustScores, type QuarantineDeps, type QuarantineStore } from "../enforce/index.js";
import type { KillGuard } from "../enforce/index.js";
import { Aggregator, CrossSourceMatcher, Pipeline } from "../pipeline/index.js";
import { channelRules } from "../alerts/index.js";
import { clawavRules, ruleContextFor, watchedPaths } from "../sources/auditd/index.js";
import { readProc } from "../sources/procfs/index.js";
import { sensorAlerts, sensorEvent } from "./sensor-alerts.js";

/**
 * Where enrichers get their facts. `host`: this machine (/proc, passwd, executables' content,
 * the watched files, resolved names), as the live daemon does. `records`: only what the events
 * carry, so that a replay gives the same answer anywhere; a replayed event that a live daemon
 * recorded (with `--events`) already carries what that daemon learned from its host.
 */
export type FactsFrom = "host" | "records";

export interface BuildOptions {
  config: Config;
  nodeId: string;
  watched: WatchedUsers;
  factsFrom: FactsFrom;
  engines: () => readonly Engine[];
  sinks: readonly AlertSink[];
  recorder?: Recorder;
  /** Live only: the enforcer acts (kill, freeze). Replay judges as monitor mode and never acts. */
  enforce?: { guard: KillGuard; store: QuarantineStore; record: QuarantineDeps["record"] };
  /** Extra enrichers that only the live daemon has (the preload guard check). */
  liveEnrichers?: readonly Enricher[];
  /** Addresses of the allowed names, resolved ahead (live: DNS and /etc/hosts). */
  resolveHost?: ResolveHostFn;
  users?: UserNames;
  /** Ids for the pipeline's own sensor events (a stage that failed). */
  nextId: () => string;
  /** The policy version in force now; default: the config's (a remote bundle changes the daemon's). */
  policyVersion?: () => string;
}

export interface Built {
  pipeline: Pipeline;
  matcher: CrossSourceMatcher;
  table: ProcessTable;
  aggregator: Aggregator;
  enforcer: Enforcer;
  enrichers: readonly Enricher[];
  watchedFiles?: WatchedFiles;
  hostNames?: HostNamesEnricher;
}

/** The one route from an event to the sinks, for the daemon and for `clawav replay`. */
export function buildPipeline(o: BuildOptions): Built {
  const { config } = o;
  const host = o.factsFrom === "host";
  const users = o.users ?? systemUserNames();
  const agents = [...config.agents, ...profileAgents(activeProfiles(config), (n) => users.uid(n))];
  const table = new ProcessTable({
    // Processes started before clawav are read from /proc, only when reading the host.
    lookup: host ? (pid) => {
      const p = readProc(pid);
      return p ? { pid: p.pid, ppid: p.ppid, uid: p.uid, exe: p.exe, argv0: p.argv[0] ?? p.comm, ...(p.argv.length > 0 ? { argv: p.argv } : {}) } : undefined;
    } : undefined,
    agents,
    defaultAgent: (uid, user) => (o.watched.has(uid) ? (user ?? users.name(uid) ?? `uid:${uid}`) : undefined),
  });
  const enrichers: Enricher[] = [];
  let watchedFiles: WatchedFiles | undefined;
  let hostNames: HostNamesEnricher | undefined;
  if (host) {
    enrichers.push(userNamesEnricher(users));
    watchedFiles = new WatchedFiles(watchedPaths(clawavRules(ruleContextFor(config))));
    enrichers.push(watchedFiles);
    enrichers.push(identityEnricher(createExeIdentity()));
    hostNames = new HostNamesEnricher(config.network.allowed_hosts, o.resolveHost ?? etcHostsResolver());
    enrichers.push(hostNames);
  }
  // Before lineage: a container agent is known by the container its process runs in.
  if (host && config.containers.enabled !== false) {
    const c = config.containers;
    enrichers.push(new ContainerEnricher({ podman: new PodmanState(c.podman_root), sockets: c.sockets }));
  }
  // From the dns events in the stream itself, so replaying a recorded stream names the same connects.
  enrichers.push(new DnsAnswersEnricher());
  enrichers.push(lineageEnricher(table));
  if (host) {
    const guarded = o.enforce?.guard.protectedPids ?? new Set<number>();
    enrichers.push(signalTargetEnricher(table, () => guarded));
  }
  enrichers.push(...(o.liveEnrichers ?? []));
  const t = config.trust;
  const trust = new TrustScores({ initial: t.initial, threshold: t.threshold, recoveryPerHour: t.recovery_per_hour, penalty: { info: 0, warning: t.penalty_warning, critical: t.penalty_critical } });
  const watched = o.watched;
  const containerAgents = new Set(agents.filter((a) => a.container !== undefined).map((a) => a.name));
  const enforcer = o.enforce
    ? new Enforcer(config.mode, o.enforce.guard, undefined, { trust, store: o.enforce.store, auto: config.enforce.auto_quarantine, record: o.enforce.record, containerAgents })
    : new Enforcer("monitor", { protectedPids: new Set(), watched: (uid) => watched.has(uid) }, undefined, { trust, auto: config.enforce.auto_quarantine, record: () => {} });
  const aggregator = new Aggregator({ windowMs: config.alerts.dedupe_window * 1000, channels: channelRules(config) });
  const matcher = new CrossSourceMatcher();
  const pipeline = new Pipeline({
    enrichers,
    engines: o.engines,
    isWatched: watchedEvent(o.watched),
    matcher,
    ...(o.recorder ? { recorder: o.recorder } : {}),
    mitigator: enforcer,
    aggregator,
    sinks: o.sinks,
    sensorAlerts: sensorAlerts(o.nodeId, o.policyVersion ?? (() => config.general.policy_version)),
    stageFailed: (stage, detail) => sensorEvent(o.nextId(), o.nodeId, `stage_failed:${stage}`, detail),
  });
  return { pipeline, matcher, table, aggregator, enforcer, enrichers, ...(watchedFiles ? { watchedFiles } : {}), ...(hostNames ? { hostNames } : {}) };
}

export type { Event };
