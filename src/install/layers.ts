// The "swallowed key" install: each layer a list of steps, each step with what takes it back. A
// layer is applied, skipped by the operator (or for a reason), or not available on this machine;
// `--dry-run` prints the steps instead of taking them.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ensureAdminKey } from "../admin/index.js";
import { clawavRules, formatRule, installRules, removeRules, ruleContextFor } from "../sources/auditd/index.js";
import { configTemplate, defaultConfig, type Config } from "../config/index.js";
import { setImmutable } from "./immutable.js";
import type { LayerName, LayerRecord, Undo } from "./manifest.js";
import { serviceUnit, UNIT_NAME } from "./unit.js";
import { sudoersEntry } from "./sudoers.js";
import { apparmorProfile, APPARMOR_PROFILE } from "./apparmor.js";
import type { InstallPlaces } from "./places.js";

export type Harden = "ptrace" | "modules" | "audit-lock";
export const HARDEN: readonly Harden[] = ["ptrace", "modules", "audit-lock"];

export interface InstallChoices {
  /** The built package to install (the one this clawav runs from). */
  source: string;
  /** node, resolved: the unit and the sudoers entry pin it. */
  node: string;
  agents: readonly { name: string; uid: number }[];
  profile?: string;
  /** The agent's own systemd unit, whose capabilities are narrowed (layer agent-caps). */
  agentUnit?: string;
  harden: readonly Harden[];
  places: InstallPlaces;
  /** Shows the admin key, once. */
  showKey(key: string): void;
}

export interface Step {
  what: string;
  run(): Undo[];
}

export type LayerPlan = { name: LayerName; state: "apply"; steps: Step[] } | { name: LayerName; state: "skipped" | "unavailable"; why: string };

const systemdRuns = () => existsSync("/run/systemd/system");

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${(r.stderr || r.stdout || `exit ${r.status}`).trim().split("\n").slice(0, 3).join(" / ")}`);
  return r.stdout;
}

/** Writes a file the install owns; one that is there and not the install's is not overwritten. */
function ownFile(path: string, text: string, mode: number, owned: ReadonlySet<string>): Undo[] {
  if (existsSync(path) && !owned.has(path)) throw new Error(`${path} exists and is not clawav's: move it away, or leave out this layer (--skip)`);
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.clawav-new`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
  return [{ do: "remove", path }];
}

/** A folder made with its mode (an existing one gets the mode); removed at uninstall only if the install made it. */
function ownDir(path: string, mode: number): Undo[] {
  const made = !existsSync(path);
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
  return made ? [{ do: "remove", path }] : [];
}

/**
 * Only what runs: the packages package-lock.json does not mark dev, as npm ci --omit=dev would
 * lay them out (no npm needed at install time). Undefined without a lock file.
 */
export function productionDeps(source: string): string[] | undefined {
  let lock: { packages?: Record<string, { dev?: boolean; devOptional?: boolean; link?: boolean }> };
  try {
    lock = JSON.parse(readFileSync(join(source, "package-lock.json"), "utf8")) as typeof lock;
  } catch {
    return undefined;
  }
  if (!lock.packages) return undefined;
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith("node_modules/") && !p.dev && !p.devOptional && !p.link && existsSync(join(source, path)))
    .map(([path]) => path);
}

function copyPackage(source: string, prefix: string): void {
  const stage = `${prefix}.clawav-new`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true, mode: 0o755 });
  // What the package ships is package.json's "files" (one list: the proto/ folder was missed here once).
  const shipped = (JSON.parse(readFileSync(join(source, "package.json"), "utf8")) as { files?: string[] }).files ?? [];
  for (const p of ["package.json", "README.md", ...shipped]) {
    if (existsSync(join(source, p))) cpSync(join(source, p), join(stage, p), { recursive: true, dereference: false });
  }
  const deps = productionDeps(source) ?? (existsSync(join(source, "node_modules")) ? ["node_modules"] : []);
  for (const rel of deps) if (!existsSync(join(stage, rel))) cpSync(join(source, rel), join(stage, rel), { recursive: true });
  run("chown", ["-R", "root:root", stage]);
  run("chmod", ["-R", "u=rwX,go=rX", stage]);
  for (const f of ["dist/cli/clawav.js", "dist/cli/clawsudo.js"]) chmodSync(join(stage, f), 0o755);
  if (existsSync(prefix)) {
    setImmutable(prefix, false, true);
    rmSync(prefix, { recursive: true, force: true });
  }
  renameSync(stage, prefix);
}

function link(target: string, path: string, owned: ReadonlySet<string>): Undo[] {
  if (existsSync(path) || isLink(path)) {
    if (!owned.has(path) && !(isLink(path) && realOrUndefined(path) === realOrUndefined(target))) throw new Error(`${path} exists and is not clawav's: move it away first`);
    rmSync(path, { force: true });
  }
  symlinkSync(target, path);
  return [{ do: "remove", path }];
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** The config the installed daemon runs with, as the install writes it. */
export function installedConfig(c: InstallChoices): { text: string; config: Config } {
  const text = configTemplate({
    agents: c.agents,
    profile: c.profile,
    set: { general: { state_dir: c.places.stateDir }, admin: { socket: join(c.places.runDir, "admin.sock") }, preload: { library: join(c.places.prefix, "native", "preload", "build", "libclawguard.so"), policy_file: join(c.places.etcDir, "preload-policy.json"), log_path: join(c.places.logDir, "preload.log") } },
  });
  const base = defaultConfig();
  const config: Config = { ...base, general: { ...base.general, state_dir: c.places.stateDir }, agents: [...c.agents], profile: { name: c.profile } };
  return { text, config };
}

/** Every layer's plan, in install order. `owned`: the paths a previous install of clawav made. */
export function planInstall(c: InstallChoices, only: ReadonlySet<LayerName>, owned: ReadonlySet<string>): LayerPlan[] {
  const P = c.places;
  const configFile = join(P.etcDir, "config.toml");
  const cli = join(P.prefix, "dist", "cli", "clawav.js");
  const plans: LayerPlan[] = [];
  const add = (name: LayerName, plan: () => LayerPlan | Step[]) => {
    if (!only.has(name)) {
      plans.push({ name, state: "skipped", why: "left out (--skip / --layers)" });
      return;
    }
    const p = plan();
    plans.push(Array.isArray(p) ? { name, state: "apply", steps: p } : p);
  };

  add("package", () => {
    if (realOrUndefined(c.source) === realOrUndefined(P.prefix)) return { name: "package", state: "skipped", why: `already running from ${P.prefix}` };
    if (!existsSync(join(c.source, "dist", "cli", "clawav.js"))) return { name: "package", state: "unavailable", why: `${c.source} is not built (npm ci && npm run build && npm run build:native)` };
    return [
      { what: `copy the built package from ${c.source} to ${P.prefix} (root's, nothing writable by others; production dependencies only)`, run: () => (copyPackage(c.source, P.prefix), [{ do: "remove", path: P.prefix }]) },
      { what: `link ${join(P.binDir, "clawav")} and ${join(P.binDir, "clawsudo")} to it`, run: () => [...link(cli, join(P.binDir, "clawav"), owned), ...link(join(P.prefix, "dist", "cli", "clawsudo.js"), join(P.binDir, "clawsudo"), owned)] },
    ];
  });

  add("user", () => ({ name: "user", state: "skipped", why: "not needed: the daemon runs as root (audit, netfilter, kill and freeze need it), and no file needs a clawav owner" }));

  add("config", () => [
    { what: `make ${P.etcDir} (0755), ${P.stateDir} (0700), ${P.logDir} (0755: the preload log inside is appendable by agents, nothing else)`, run: () => [...ownDir(P.etcDir, 0o755), ...ownDir(P.stateDir, 0o700), ...ownDir(P.logDir, 0o755)] },
    {
      what: existsSync(configFile) && !owned.has(configFile) ? `keep the existing ${configFile}` : `write ${configFile} (0600): every key, commented at its default${c.agents.length > 0 ? `; agents ${c.agents.map((a) => a.name).join(", ")}` : ""}${c.profile ? `; profile ${c.profile}` : ""}`,
      run: () => (existsSync(configFile) && !owned.has(configFile) ? [] : ownFile(configFile, installedConfig(c).text, 0o600, owned)),
    },
  ]);

  add("admin-key", () => {
    const hash = join(P.stateDir, "admin-key.hash");
    return [
      {
        what: existsSync(hash) ? `keep the admin key whose hash is ${hash}` : `make the admin key: shown once here, only its Argon2id hash kept in ${hash}`,
        run: () => {
          mkdirSync(P.stateDir, { recursive: true, mode: 0o700 });
          const made = ensureAdminKey(hash);
          if (made.created) c.showKey(made.created);
          return made.created ? [{ do: "remove", path: hash }] : [];
        },
      },
    ];
  });

  add("audit-rules", () => {
    if (!existsSync(dirname(P.auditRulesDir))) return { name: "audit-rules", state: "unavailable", why: `${dirname(P.auditRulesDir)} is missing: install auditd (apt-get install auditd)` };
    const file = join(P.auditRulesDir, "clawav.rules");
    const rules = clawavRules(ruleContextFor(installedConfig(c).config));
    return [
      { what: `write ${file} (0640): ${rules.length} rules, loaded by augenrules at every boot`, run: () => ownFile(file, `## clawav's audit rules (key clawav), written by clawav install.\n${rules.map((r) => formatRule(r).replace(/^auditctl /, "")).join("\n")}\n`, 0o640, owned) },
      {
        what: "load them now (auditctl)",
        run: () => {
          installRules(rules);
          return [{ do: "audit-rules-remove" }];
        },
      },
    ];
  });

  add("preload", () => {
    const lib = join(P.prefix, "native", "preload", "build", "libclawguard.so");
    const policy = join(P.etcDir, "preload-policy.json");
    const shipped = join(c.source, "policies", "preload-policy.json");
    if (!existsSync(join(c.source, "native", "preload", "build", "libclawguard.so"))) return { name: "preload", state: "unavailable", why: "libclawguard.so is not built (npm run build:native needs a C compiler)" };
    return [
      {
        what: existsSync(policy) && !owned.has(policy) ? `keep the existing ${policy}; the guard is ${lib} (agents run under it with clawav exec)` : `write ${policy} (0644) from the shipped policy; the guard is ${lib} (agents run under it with clawav exec)`,
        run: () => (existsSync(policy) && !owned.has(policy) ? [] : ownFile(policy, readFileSync(shipped, "utf8"), 0o644, owned)),
      },
    ];
  });

  add("sudoers", () => {
    if (c.agents.length === 0) return { name: "sudoers", state: "skipped", why: "no --agent named: no one gets clawsudo" };
    if (!existsSync(P.sudoersDir)) return { name: "sudoers", state: "unavailable", why: `${P.sudoersDir} is missing: install sudo` };
    const file = join(P.sudoersDir, "clawav");
    const text = `${c.agents.map((a) => sudoersEntry(a.name, c.node, join(P.prefix, "dist", "cli", "clawsudo.js"), configFile)).join("\n")}`;
    return [
      {
        what: `write ${file} (0440), checked by visudo: ${c.agents.map((a) => a.name).join(", ")} may run clawsudo as root and nothing else through it (nothing that stops, edits or unloads clawav)`,
        run: () => {
          const undo = ownFile(file, text, 0o440, owned);
          const v = spawnSync("visudo", ["-c", "-q", "-f", file], { encoding: "utf8" });
          if (v.status !== 0) {
            rmSync(file, { force: true });
            throw new Error(`visudo rejects ${file}: ${(v.stderr || v.stdout).trim()}`);
          }
          return undo;
        },
      },
    ];
  });

  add("service", () => {
    const file = join(P.unitDir, UNIT_NAME);
    const text = serviceUnit({ node: c.node, cli, configFile, writable: [P.stateDir, P.logDir, P.runDir, P.etcDir], docs: `file://${join(P.prefix, "README.md")}` });
    // Undone in reverse: stop and disable, remove the file, then daemon-reload.
    const steps: Step[] = [{ what: `write ${file} (0644): Type=notify, WatchdogSec=30, Restart=always, NoNewPrivileges, ProtectSystem=strict`, run: () => [...(systemdRuns() ? [{ do: "systemd-reload" as const }] : []), ...ownFile(file, text, 0o644, owned)] }];
    if (systemdRuns())
      steps.push({
        what: "systemctl daemon-reload; systemctl enable --now clawav",
        run: () => {
          run("systemctl", ["daemon-reload"]);
          run("systemctl", ["enable", "--now", UNIT_NAME]);
          return [{ do: "systemd-disable", unit: UNIT_NAME }];
        },
      });
    else steps.push({ what: "not started: systemd is not running here (/run/systemd/system is missing); start it with clawav run, or boot with systemd", run: () => [] });
    return steps;
  });

  add("apparmor", () => {
    if (!existsSync("/sys/kernel/security/apparmor")) return { name: "apparmor", state: "unavailable", why: "AppArmor is not enabled in this kernel (/sys/kernel/security/apparmor is missing)" };
    if (spawnSync("apparmor_parser", ["--version"], { stdio: "ignore" }).status !== 0) return { name: "apparmor", state: "unavailable", why: "apparmor_parser is not installed (apt-get install apparmor)" };
    const file = join(P.apparmorDir, APPARMOR_PROFILE);
    return [
      {
        what: `write and load ${file}: the profile ${APPARMOR_PROFILE} (agents run under it with clawav exec) may not read clawav's state or write any of clawav's files`,
        run: () => {
          const undo = ownFile(file, apparmorProfile(P), 0o644, owned);
          run("apparmor_parser", ["-r", file]);
          return [...undo, { do: "apparmor-unload", path: file }];
        },
      },
    ];
  });

  add("agent-caps", () => {
    if (!c.agentUnit) return { name: "agent-caps", state: "skipped", why: "no --agent-unit named: an unprivileged agent holds no capabilities to drop (sudoers keeps it from root)" };
    const file = join(P.unitDir, `${c.agentUnit}.d`, "clawav.conf");
    const text = "# Written by clawav install: the agent keeps none of the capabilities that would undo clawav.\n[Service]\nNoNewPrivileges=yes\nCapabilityBoundingSet=~CAP_LINUX_IMMUTABLE CAP_SYS_PTRACE CAP_SYS_MODULE CAP_SYS_ADMIN CAP_AUDIT_CONTROL CAP_AUDIT_WRITE CAP_NET_ADMIN CAP_BPF CAP_PERFMON CAP_KILL CAP_SYS_BOOT CAP_SETUID CAP_SETGID CAP_DAC_OVERRIDE CAP_FOWNER CAP_CHOWN\n";
    return [
      { what: `write ${file}: ${c.agentUnit} runs with NoNewPrivileges and without CAP_LINUX_IMMUTABLE, CAP_SYS_PTRACE, CAP_SYS_MODULE and the rest that would undo clawav (at its next start)`, run: () => [...ownFile(file, text, 0o644, owned), { do: "remove", path: dirname(file) }] },
      ...(systemdRuns() ? [{ what: "systemctl daemon-reload", run: (): Undo[] => (run("systemctl", ["daemon-reload"]), [{ do: "systemd-reload" }]) }] : []),
    ];
  });

  add("kernel", () => {
    if (c.harden.length === 0) return { name: "kernel", state: "skipped", why: `no setting chosen (--harden ${HARDEN.join(",")})` };
    const steps: Step[] = [];
    const sysctl: [string, string][] = [];
    if (c.harden.includes("ptrace")) {
      if (!existsSync("/proc/sys/kernel/yama/ptrace_scope")) return { name: "kernel", state: "unavailable", why: "Yama is not in this kernel (/proc/sys/kernel/yama is missing): ptrace_scope cannot be set" };
      sysctl.push(["kernel.yama.ptrace_scope", "2"]);
    }
    if (c.harden.includes("modules")) sysctl.push(["kernel.modules_disabled", "1"]);
    if (sysctl.length > 0) {
      const file = join(P.sysctlDir, "90-clawav.conf");
      steps.push({
        what: `write ${file} and apply now: ${sysctl.map(([k, v]) => `${k}=${v}`).join(", ")}${c.harden.includes("modules") ? " (no module loads until reboot, and no uninstall undoes that before one)" : ""}`,
        run: () => {
          const undo: Undo[] = ownFile(file, `# Written by clawav install.\n${sysctl.map(([k, v]) => `${k} = ${v}`).join("\n")}\n`, 0o644, owned);
          for (const [k, v] of sysctl) {
            const before = readFileSync(`/proc/sys/${k.replaceAll(".", "/")}`, "utf8").trim();
            run("sysctl", ["-q", "-w", `${k}=${v}`]);
            undo.push({ do: "sysctl", key: k, value: before });
          }
          return undo;
        },
      });
    }
    if (c.harden.includes("audit-lock")) {
      const file = join(P.auditRulesDir, "zz-clawav-lock.rules");
      steps.push({
        what: `write ${file} (-e 2, last) and lock the audit configuration now (auditctl -e 2): no rule can change, and auditing cannot be switched off, until reboot`,
        run: () => {
          const undo = ownFile(file, "## Written by clawav install: the audit configuration is locked until reboot.\n-e 2\n", 0o640, owned);
          run("auditctl", ["-e", "2"]);
          return undo;
        },
      });
    }
    return steps;
  });

  add("immutable", () => {
    const targets = [P.prefix, configFile, join(P.etcDir, "preload-policy.json"), join(P.unitDir, UNIT_NAME), join(P.sudoersDir, "clawav"), join(P.auditRulesDir, "clawav.rules")];
    return [
      {
        what: `chattr +i ${targets.join(", ")} (those installed; ${P.prefix} with all it holds): not even root writes them without chattr -i`,
        run: () => {
          const undo: Undo[] = [];
          for (const t of targets) {
            if (!existsSync(t)) continue;
            const recursive = lstatSync(t).isDirectory();
            const r = setImmutable(t, true, recursive);
            if (!r.ok) throw new Error(`chattr +i ${t}: ${r.error}`);
            undo.push({ do: "mutable", path: t, recursive });
          }
          return undo;
        },
      },
    ];
  });
  return plans;
}

/** Takes back what a layer did, in reverse; errors are collected, not fatal: the rest still goes. */
export function undoAll(undo: readonly Undo[], say: (line: string) => void): string[] {
  const errors: string[] = [];
  for (const u of [...undo].reverse()) {
    try {
      switch (u.do) {
        case "remove":
          if (existsSync(u.path) || isLink(u.path)) {
            setImmutable(u.path, false, !isLink(u.path) && lstatSync(u.path).isDirectory());
            rmSync(u.path, { recursive: true, force: true });
            say(`removed ${u.path}`);
          }
          break;
        case "mutable":
          if (existsSync(u.path)) {
            const r = setImmutable(u.path, false, u.recursive);
            if (!r.ok) throw new Error(`chattr -i ${u.path}: ${r.error}`);
            say(`chattr -i ${u.path}`);
          }
          break;
        case "systemd-disable":
          if (systemdRuns()) {
            run("systemctl", ["disable", "--now", u.unit]);
            // A stop that ended in a timeout leaves the unit "failed" in systemd's memory.
            spawnSync("systemctl", ["reset-failed", u.unit], { stdio: "ignore" });
            say(`systemctl disable --now ${u.unit}`);
          }
          break;
        case "systemd-reload":
          if (systemdRuns()) run("systemctl", ["daemon-reload"]);
          break;
        case "audit-rules-remove": {
          const r = removeRules();
          say(`audit rules (key clawav): ${r.removed} removed`);
          break;
        }
        case "apparmor-unload":
          if (existsSync(u.path)) {
            run("apparmor_parser", ["-R", u.path]);
            say(`apparmor_parser -R ${u.path}`);
          }
          break;
        case "sysctl":
          if (u.key === "kernel.modules_disabled") {
            say("kernel.modules_disabled stays 1 until reboot (the kernel does not allow it back)");
            break;
          }
          run("sysctl", ["-q", "-w", `${u.key}=${u.value}`]);
          say(`sysctl ${u.key}=${u.value}`);
          break;
      }
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  return errors;
}

/** Paths a previous install made (so that installing again may replace them). */
export function ownedPaths(layers: readonly LayerRecord[]): Set<string> {
  const out = new Set<string>();
  for (const l of layers) for (const u of l.undo) if (u.do === "remove") out.add(u.path);
  return out;
}
