// The detection stage's public face: one Detector built from the config judges every watched
// event. It does no I/O while judging: what it knows of the host comes on the event (enrich/).
import { isIP } from "node:net";
import { join } from "node:path";
import type { Config } from "../config/index.js";
import { SEVERITIES, bySeverityDesc, type Alert, type AlertAction, type Engine, type Event, type Severity } from "../events/index.js";
import { identityByName, resolveNothing, type ExeIdentityFn, type ResolveHostFn } from "../enrich/index.js";
import { PACKAGE_ROOT } from "../version.js";
import { loadPatternDir, PATTERNS_DIR, PatternSet, PUBLIC_KEY_FILE } from "../patterns/index.js";
import { BehaviorEngine, factsOf, hostMatches, unwrapCommand, type Facts, type HostCheck } from "./behavior/index.js";
import { SequenceEngine, StepSequences, type SequenceStatus } from "./sequence/index.js";
import { mitreOf } from "./mitre.js";
import { externalAlert } from "./external.js";
import { authAlerts } from "./auth.js";
import { loadPopular, type PopularLists } from "./supply/typosquat.js";
import { loadSigma, SigmaInput, SigmaSet, type LogSource, type SigmaFileResult, type SigmaRule } from "./sigma/index.js";
import { activeProfiles } from "../profiles/index.js";
import { netfilterAlerts } from "./netfilter.js";
import { addressSet, isClawsudoPolicyFile, loadPolicies as loadPolicyFiles, PolicyLoadError, type MatchSubject, type PolicyError, type PolicyRule } from "./policy/index.js";

export type { ExeIdentityFn, ResolveHostFn } from "../enrich/index.js";
export { PolicyLoadError, formatPolicyError, type PolicyRule, type PolicyError, type MatchSpec, type MatchSubject } from "./policy/index.js";
export { compileMatch, compilePattern, compileGlob, MatchSyntaxError } from "./policy/index.js";
export { BEHAVIOR_RULES, containerRunRisk, shellSplit, toolName, type BehaviorRule } from "./behavior/index.js";
export { loadSigma, compileSigmaText, SigmaInput, SigmaRefusal, SigmaSyntaxError, type SigmaRule, type SigmaFileResult, type SigmaLoad, type LogSource } from "./sigma/index.js";
export { externalAlert } from "./external.js";
export { mitreOf, hasMitre, coverage, TECHNIQUES, TACTICS, MITRE_ID, type Tactic } from "./mitre.js";

export interface DetectorOptions {
  config: Config;
  /** For events no enricher gave an identity: default, the executable's name alone. */
  identity?: ExeIdentityFn;
  /** Addresses of the allowed names, known ahead; default none (an enricher names resolved addresses). */
  resolveHost?: ResolveHostFn;
  policyVersion?: string;
  /** The ports clawav's own API listens on (the daemon knows its port once it listens); default api.port. */
  watchdogPorts?: () => readonly number[];
  /** The popular-package lists (default: the package's policies/packages). */
  popular?: PopularLists;
  /** Sequence state carried across a reload (SIGHUP), so an attack in progress is still followed. */
  sequence?: SequenceEngine;
  steps?: StepSequences;
  /** Policy folders; default: the package's policies/, then config policy.dirs and policy.dir. */
  policyDirs?: string[];
  /** Sigma rule folders; default: config sigma.dirs. */
  sigmaDirs?: string[];
  /** The dangerous-commands database, matched on each exec's command line; default: the package's (signed) commands.json. */
  commands?: PatternSet | null;
  /** How the commands database is read (at the start and at each reload); default: the package's. */
  loadCommands?: () => PatternSet | undefined;
}

/** What the Sigma folders gave: rules compiled, and the files refused (by feature) or in error. */
export interface SigmaStatus {
  dirs: string[];
  files: number;
  compiled: number;
  refused: { file: string; feature: string }[];
}

export interface Detector extends Engine {
  evaluate(e: Event): Alert[];
  readonly policyCount: number;
  /** The policy files loaded, in order. */
  readonly sources: string[];
  readonly policies: readonly PolicyRule[];
  readonly sigma: SigmaStatus;
  /** State of the rules that follow an attack across events (keys, evictions, firings). */
  sequenceStatus(): SequenceStatus;
  /** Loads the policies again (SIGHUP): a new Detector, or the errors (the caller keeps this one). */
  reload(config?: Config, over?: ReloadOverrides): { detector: Detector; errors: [] } | { detector?: undefined; errors: PolicyError[] };
}

/** What a reload may change besides the config: the version stamped on alerts, where the commands database comes from. */
export interface ReloadOverrides {
  policyVersion?: string;
  loadCommands?: () => PatternSet | undefined;
}

/**
 * The commands database of a folder: the package's must carry its own signature; a signed policy
 * bundle's is vouched for by the bundle's (`requireSignature` false).
 */
export function commandsDbIn(dir: string, requireSignature = false): PatternSet | undefined {
  const db = loadPatternDir(dir, PUBLIC_KEY_FILE, requireSignature, ["commands"]).dbs[0];
  return db ? new PatternSet([db]) : undefined;
}

export function loadPolicies(dirs: string[]): { rules: PolicyRule[]; errors: PolicyError[]; files: string[] } {
  return loadPolicyFiles(dirs);
}

/** clawsudo's rules: the clawsudo*.yaml files of the given folders, and only those. */
export function loadClawsudoPolicies(dirs: readonly string[]): { rules: PolicyRule[]; errors: PolicyError[]; files: string[] } {
  return loadPolicyFiles(dirs, isClawsudoPolicyFile);
}

export function policyDirsOf(config: Config): string[] {
  return [join(PACKAGE_ROOT, "policies"), ...config.policy.dirs, ...(config.policy.dir !== undefined ? [config.policy.dir] : [])];
}

export function hostCheckOf(config: Config, resolve: ResolveHostFn, watchdogPorts: () => readonly number[] = () => [config.api.port]): HostCheck {
  const names = config.network.allowed_hosts;
  const addrs = new Set<string>();
  for (const n of names) {
    if (isIP(n) !== 0) addrs.add(n);
    else for (const a of resolve(n)) addrs.add(a);
  }
  const cidrs = addressSet(config.network.allowed_cidrs);
  const nameCache = new Map<string, boolean>();
  const upstreams = config.proxy.enabled
    ? config.proxy.upstreams.map((u) => {
        const url = new URL(u.url);
        const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
        return { name: u.name, host, port: Number(url.port || 443), addrs: new Set(isIP(host) !== 0 ? [host] : resolve(host)) };
      })
    : [];
  return {
    ...(upstreams.length > 0
      ? {
          llmUpstream(host: string, port: number | undefined) {
            const h = host.toLowerCase().replace(/^::ffff:/, "");
            return upstreams.find((u) => (port === undefined || u.port === port) && (u.host === h || u.addrs.has(h)))?.name;
          },
        }
      : {}),
    hostAllowed(host) {
      let v = nameCache.get(host);
      if (v === undefined) {
        v = isIP(host) !== 0 ? addrs.has(host) || cidrs(host) : names.some((a) => hostMatches(host, a));
        if (nameCache.size < 4096) nameCache.set(host, v);
      }
      return v;
    },
    isWatchdog(_address, port) {
      return config.api.enabled && watchdogPorts().includes(port);
    },
    addressAllowed(address) {
      const a = address.toLowerCase();
      return addrs.has(a) || addrs.has(a.replace(/^::ffff:/, "")) || cidrs(a);
    },
  };
}

export function createDetector(opts: DetectorOptions): Detector {
  const config = opts.config;
  const dirs = opts.policyDirs ?? policyDirsOf(config);
  const files = config.policy.enabled ? loadPolicyFiles(dirs) : { rules: [], errors: [], files: [] };
  // An agent profile's rules, under the policy files: a site's rule of the same name replaces one.
  const profiles = activeProfiles(config);
  const siteNames = new Set(files.rules.map((r) => r.name));
  const loaded = { ...files, rules: [...profiles.flatMap((p) => p.rules.filter((r) => !siteNames.has(r.name))), ...files.rules], files: [...files.files, ...profiles.map((p) => p.file)] };
  const sigmaDirs = opts.sigmaDirs ?? config.sigma.dirs;
  const sigma = config.sigma.enabled ? loadSigma(sigmaDirs) : { rules: [], results: [], errors: [], files: [], missing: [] };
  const errors = [...loaded.errors, ...sigma.errors.map(sigmaError)];
  if (errors.length > 0) throw new PolicyLoadError(errors);
  const sigmaStatus: SigmaStatus = {
    dirs: sigmaDirs,
    files: sigma.results.length,
    compiled: sigma.rules.length,
    refused: sigma.results.flatMap((r) => ("refused" in r ? [{ file: r.file, feature: r.refused.feature }] : [])),
  };
  const identity = opts.identity ?? identityByName;
  const resolve = opts.resolveHost ?? resolveNothing;
  const hostCheck = hostCheckOf(config, resolve, opts.watchdogPorts);
  const policyVersion = opts.policyVersion ?? config.general.policy_version;
  const behavior = new BehaviorEngine();
  const sequence = opts.sequence ?? new SequenceEngine();
  const popular = opts.popular ?? loadPopular(join(PACKAGE_ROOT, "policies", "packages"));
  const loadCommands = opts.loadCommands ?? commandsDb;
  const commands = opts.commands === undefined ? loadCommands() : (opts.commands ?? undefined);
  const sigmaRules = sigma.rules.map((r) => policyOfSigma(r, config.sigma.enforcement));
  const rules = [...loaded.rules.filter((r) => r.enabled), ...sigmaRules];
  const policyIndex = indexPolicies(rules.filter((r) => !r.sequence && !r.sigma));
  // Sigma rules are indexed by their needles, per log source (one pass per field finds the few to judge).
  const policyOf = new Map(sigmaRules.map((p) => [p.sigma!, p]));
  const sigmaSet = (ls: LogSource) => {
    const set = new SigmaSet(ls, sigma.rules);
    return set.size > 0 ? set : undefined;
  };
  const sigmaBy = { exec: sigmaSet("process_creation"), file: sigmaSet("file_event"), net: sigmaSet("network_connection"), auditd: sigmaSet("auditd"), syslog: sigmaSet("syslog") };
  const sigmaAlert = (e: Event, s: SigmaRule, what: string): Alert => {
    const r = policyOf.get(s)!;
    return alertOf(e, "sigma", r.name, r.category, r.severity, `${r.description ?? r.name}: ${what}`, actionOf(r), policyVersion, r.mitre);
  };
  const sequenceRules = rules.filter((r) => r.sequence);
  const steps = opts.steps ?? new StepSequences();

  const evaluate = (e: Event): Alert[] => {
    if (e.kind === "external") return externalAlert(e, policyVersion);
    if (e.net?.netfilter) return netfilterAlerts(e, policyVersion);
    if (e.kind === "log") {
      const found = authAlerts(e, policyVersion);
      if (sigmaBy.syslog) {
        const input = new SigmaInput(e);
        for (const s of sigmaBy.syslog.match(input)) found.push(sigmaAlert(e, s, input.logLine.slice(0, 300)));
      }
      return found.length > 1 ? found.sort(bySeverityDesc) : found;
    }
    // A gate's event describes a request, not something that ran: the gate engine judges it.
    if (!e.process || e.kind === "gate") return [];
    const f = factsOf(e, e.process.identity ?? (e.process.exe ? identity(e.process.exe) : undefined), hostCheck, popular);
    const alerts: Alert[] = [];
    const findings = behavior.judge(f);
    for (const x of findings) alerts.push(alertOf(e, "behavior", x.rule, x.category, x.severity, x.summary, x.action ?? "alert", policyVersion));
    const cands = policyCandidates(policyIndex, e.kind, f);
    let subject: MatchSubject | undefined;
    if (sequenceRules.length > 0) {
      subject = subjectOf(f, findings.map((x) => x.category));
      const p = e.process;
      for (const r of sequenceRules) {
        const sq = r.sequence!;
        const key = sq.by === "process" ? `${p.pid}` : sq.by === "parent" ? `${p.ppid}:${p.agent ?? p.uid}` : `${p.agent ?? p.uid}`;
        const subj = subject;
        if (steps.advance({ name: r.name, by: sq.by, withinMs: sq.withinMs, steps: sq.steps.length }, key, e.ts, (i) => sq.steps[i]!.match(subj))) {
          alerts.push(alertOf(e, "sequence", r.name, r.category, r.severity, `${r.description ?? r.name} (${sq.steps.length} steps within ${sq.withinMs / 1000} s): ${commandLine(f)}`, r.quarantine ? "quarantine" : "alert", policyVersion, r.mitre));
        }
      }
    }
    if (cands.length > 0) {
      const subj = subject ?? subjectOf(f, findings.map((x) => x.category));
      for (const r of cands) {
        if (!r.match(subj) || r.exceptions.some((m) => m(subj))) continue;
        alerts.push(alertOf(e, "policy", r.name, r.category, r.severity, `${r.description ?? r.name}: ${commandLine(f)}`, actionOf(r), policyVersion, r.mitre));
      }
    }
    const byKind = e.kind === "exec" ? sigmaBy.exec : e.kind === "file" ? sigmaBy.file : e.kind === "net" ? sigmaBy.net : undefined;
    const byAudit = e.source === "auditd" ? sigmaBy.auditd : undefined;
    if (byKind || byAudit) {
      const input = new SigmaInput(e);
      const hits = [...(byKind?.match(input) ?? []), ...(byAudit?.match(input) ?? [])];
      if (hits.length > 0) {
        const what = commandLine(f);
        for (const s of hits) alerts.push(sigmaAlert(e, s, what));
      }
    }
    // The dangerous-commands database fills gaps: an exec no behaviour rule said anything of, and
    // not a wrapper (runuser, env, timeout, ...), whose command is judged when it runs itself, and
    // not a failed exec (a PATH walk's misses carry the parent's command line).
    if (commands && e.kind === "exec" && e.syscall?.success !== false && findings.length === 0 && f.argv.length > 0 && !unwrapCommand(f.argv)) {
      const seen = new Set<string>();
      // The first 4 KiB of the command line: the work per exec stays small (a longer one is judged in part).
      const line = f.argv.join(" ");
      for (const h of commands.match(line.length > 4096 ? line.slice(0, 4096) : line)) {
        const cat = h.category ?? "EXECUTION";
        if (seen.has(cat)) continue;
        seen.add(cat);
        alerts.push(alertOf(e, "patterns", `patterns/${h.id}`, cat, h.severity, `${h.description}: ${commandLine(f)}`, "alert", policyVersion, h.mitre));
      }
    }
    for (const x of sequence.judge(e, f, alerts)) alerts.push(alertOf(e, "sequence", x.rule, x.category, x.severity, x.summary, "alert", policyVersion));
    if (alerts.length > 1) alerts.sort(bySeverityDesc);
    return alerts;
  };

  return {
    name: "detect",
    evaluate,
    policyCount: rules.length,
    sources: loaded.files,
    policies: rules,
    sigma: sigmaStatus,
    sequenceStatus: () => {
      const st = sequence.status();
      return { ...st, keys: st.keys + steps.size, evicted: st.evicted + steps.evicted };
    },
    reload(next?: Config, over?: ReloadOverrides) {
      try {
        // The commands database read again; one that no longer loads (changed, unsigned) leaves the last good one in force.
        const load = over?.loadCommands ?? opts.loadCommands ?? commandsDb;
        const fresh = load();
        const version = over?.policyVersion !== undefined ? { policyVersion: over.policyVersion } : {};
        return { detector: createDetector({ ...opts, ...version, config: next ?? config, identity, sequence, steps, popular, commands: fresh ?? commands ?? null }), errors: [] };
      } catch (err) {
        if (err instanceof PolicyLoadError) return { errors: err.errors };
        throw err;
      }
    },
  };
}

/** The package's commands database, if it loads and its signature verifies (else none, and no alert from it). */
function commandsDb(): PatternSet | undefined {
  return commandsDbIn(PATTERNS_DIR, true);
}

function commandLine(f: Facts): string {
  const s = f.argv.length > 0 ? f.argv.join(" ") : f.exe;
  const extra = f.e.kind === "file" ? ` (${f.paths.join(", ")})` : f.e.kind === "net" && f.e.net?.address ? ` → ${f.e.net.address}:${f.e.net.port ?? "?"}` : "";
  return (s.length > 200 ? s.slice(0, 200) + "…" : s) + extra;
}

function alertOf(e: Event, engine: string, rule: string, category: Alert["category"], severity: Severity, summary: string, action: AlertAction, policyVersion: string, mitre?: readonly string[]): Alert {
  return { event_id: e.id, ts: e.ts, severity, category, rule, engine, summary, action, node_id: e.node_id, policy_version: policyVersion, mitre: mitre ? [...mitre] : mitreOf(rule, category), event: e };
}

function subjectOf(f: Facts, categories: readonly string[] = []): MatchSubject {
  const p = f.e.process;
  const paths = f.e.kind === "exec" ? f.argPaths : f.paths;
  const s: MatchSubject = { exe: f.exe, tool: f.tool, argv: f.argv, hosts: f.hosts, parents: f.parents, paths, categories };
  if (p?.comm !== undefined) s.comm = p.comm;
  if (p) s.uid = p.uid;
  if (p?.user !== undefined) s.user = p.user;
  if (p?.agent !== undefined) s.agent = p.agent;
  const n = f.e.net;
  if (n) s.dest = { ...(n.address !== undefined ? { address: n.address } : {}), ...(n.port !== undefined ? { port: n.port } : {}), ...(n.host !== undefined ? { host: n.host } : {}) };
  return s;
}

interface PolicyIndex {
  /** Rules judged on exec events, by command name (rules without `command` are under ""). */
  exec: Map<string, PolicyRule[]>;
  file: PolicyRule[];
  net: PolicyRule[];
  other: PolicyRule[];
}

/**
 * Which events a policy rule can apply to: a `destination` makes it about connects (and the hosts
 * an exec names), `file_access` about file events (and paths an exec names); otherwise it judges
 * command lines, i.e. exec events. That keeps one curl from alerting for its exec and its connect.
 */
function indexPolicies(rules: PolicyRule[]): PolicyIndex {
  const idx: PolicyIndex = { exec: new Map(), file: [], net: [], other: [] };
  const addExec = (r: PolicyRule) => {
    for (const k of r.spec.command?.length ? r.spec.command : [""]) {
      const l = idx.exec.get(k);
      if (l) l.push(r);
      else idx.exec.set(k, [r]);
    }
  };
  for (const r of rules) {
    addExec(r);
    const s = r.spec;
    const categoryOnly = s.category !== undefined && !s.command && !s.command_contains && !s.args && !s.file_access && !s.destination;
    if (s.file_access || categoryOnly) idx.file.push(r);
    if (s.destination || categoryOnly) idx.net.push(r);
    if (categoryOnly) idx.other.push(r);
  }
  return idx;
}

function policyCandidates(idx: PolicyIndex, kind: Event["kind"], f: Facts): PolicyRule[] {
  if (kind === "exec") {
    const generic = idx.exec.get("") ?? [];
    const a = idx.exec.get(f.tool);
    const b = f.exeBase !== f.tool ? idx.exec.get(f.exeBase) : undefined;
    const comm = f.e.process?.comm;
    const c = comm !== undefined && comm !== f.tool && comm !== f.exeBase ? idx.exec.get(comm) : undefined;
    if (!a && !b && !c) return generic;
    return [...new Set<PolicyRule>([...generic, ...(a ?? []), ...(b ?? []), ...(c ?? [])])];
  }
  if (kind === "file") return idx.file;
  if (kind === "net") return idx.net;
  return idx.other;
}

function actionOf(r: PolicyRule): AlertAction {
  return r.enforcement !== "none" ? r.enforcement : r.quarantine ? "quarantine" : "alert";
}

/** A Sigma rule in the policy index: its level is the severity, its tactic the category. */
function policyOfSigma(r: SigmaRule, enforcement: Config["sigma"]["enforcement"]): PolicyRule {
  return {
    name: r.name,
    description: r.title,
    severity: r.severity,
    category: r.category,
    enforcement: r.severity === "critical" ? enforcement : "none",
    quarantine: false,
    enabled: true,
    spec: {},
    match: () => false,
    exceptions: [],
    mitre: r.mitre,
    origin: r.file,
    sigma: r,
  };
}

function sigmaError(r: Extract<SigmaFileResult, { error: string }>): PolicyError {
  return { file: r.file, ...(r.line !== undefined ? { line: r.line } : {}), ...(r.key !== undefined ? { key: r.key } : {}), message: `Sigma: ${r.error}` };
}

export { SEVERITIES };
