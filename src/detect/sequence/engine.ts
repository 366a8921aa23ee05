// Rules that follow an attack across several processes: a burst of discovery, a file dropped then
// made executable then run, a credential read then a connection out, files encrypted one after
// another. State is kept per agent (or per parent process), bounded, on the events' own time.
import { posix } from "node:path";
import type { Alert, Category, Event, Severity } from "../../events/index.js";
import { baseName, encrypts, ENCRYPTORS, makesExecutable, modeOf, type Facts } from "../behavior/index.js";

export interface SequenceFinding {
  rule: string;
  category: Category;
  severity: Severity;
  summary: string;
}

export interface SequenceOptions {
  /** Bound on the keys (agents, parents) remembered; the oldest go first, counted. */
  maxKeys?: number;
}

export interface SequenceStatus {
  keys: number;
  /** Entries held across all keys (discovery tools, dropped and executable files, encryptions). */
  entries: number;
  evicted: number;
  fired: Record<string, number>;
}

/** Commands that tell an agent where it is: one is nothing, several in a row are a survey. */
const DISCOVERY = new Set(["whoami", "id", "uname", "hostname", "ifconfig", "ip", "ps", "netstat", "ss", "lsof", "env", "printenv", "lsb_release", "getent", "w", "who", "last", "lastlog", "lscpu", "lsblk", "lsusb", "lspci", "groups", "arp", "route", "hostnamectl", "df", "mount", "uptime", "systemctl", "crontab", "find", "locate", "sudo", "cat", "ls", "dpkg", "rpm", "getcap", "nmcli", "iptables", "timedatectl", "users", "pstree", "top"]);
/** `cat` and `ls` count only when they look at the system, not at the project. */
const SYSTEM_PLACE = /^\/(etc|proc|sys|var\/log|var\/spool|home|root|run|boot)\b/;
const BURST_WINDOW = 30_000;
const BURST_DISTINCT = 4;
const CHAIN_WINDOW = 10 * 60_000;
const EXFIL_WINDOW = 2 * 60_000;
const ENCRYPT_WINDOW = 60_000;
const ENCRYPT_COUNT = 5;

interface KeyState {
  /** discovery tool → last time seen */
  discovery: Map<string, number>;
  burstFiredAt: number;
  /** path → time it was written or downloaded */
  dropped: Map<string, number>;
  /** path → time it was made executable */
  executable: Map<string, number>;
  credReadAt: number;
  credWhat: string;
  stagedAt: number;
  stagedWhat: string;
  encryptions: number[];
  encryptFiredAt: number;
}

const fresh = (): KeyState => ({ discovery: new Map(), burstFiredAt: -Infinity, dropped: new Map(), executable: new Map(), credReadAt: -Infinity, credWhat: "", stagedAt: -Infinity, stagedWhat: "", encryptions: [], encryptFiredAt: -Infinity });

function discoveryTool(f: Facts): string | undefined {
  const t = f.tool;
  if (!DISCOVERY.has(t)) return undefined;
  if (t === "cat" || t === "ls" || t === "find" || t === "locate") return f.argPaths.some((p) => SYSTEM_PLACE.test(p)) ? `${t} ${f.argPaths.find((p) => SYSTEM_PLACE.test(p))}` : undefined;
  if (t === "sudo") return f.args.includes("-l") ? "sudo -l" : undefined;
  if (t === "systemctl") return f.args.some((a) => a === "list-units" || a === "status" || a === "list-timers") ? "systemctl" : undefined;
  if (t === "crontab") return f.args.includes("-l") ? "crontab -l" : undefined;
  if (t === "mount") return f.args.length === 0 ? "mount" : undefined;
  if (t === "iptables") return f.args.some((a) => a === "-L" || a === "-S") ? "iptables -L" : undefined;
  return t;
}

/** Where a download tool writes: curl -o F / --output F / -O (the URL's name), wget -O F / -P DIR. */
function downloadTarget(f: Facts): string | undefined {
  const a = f.args;
  const abs = (p: string) => (p.startsWith("/") ? p : f.cwd ? posix.resolve(f.cwd, p) : p);
  if (f.tool === "curl") {
    for (let i = 0; i < a.length; i++) {
      if (a[i] === "-o" || a[i] === "--output") return a[i + 1] !== undefined ? abs(a[i + 1]!) : undefined;
      if (a[i]!.startsWith("--output=")) return abs(a[i]!.slice(9));
    }
    return undefined;
  }
  if (f.tool === "wget") {
    for (let i = 0; i < a.length; i++) if (a[i] === "-O" || a[i] === "--output-document") return a[i + 1] !== undefined && a[i + 1] !== "-" ? abs(a[i + 1]!) : undefined;
  }
  return undefined;
}

/** The paths chmod (or install -m) makes executable, read as the permissions rule reads them. */
function chmodX(f: Facts): string[] {
  if (f.tool !== "chmod" && f.tool !== "install") return [];
  const mode = f.tool === "install" ? f.args[f.args.findIndex((a) => a === "-m" || a === "--mode") + 1] : modeOf(f);
  if (!mode || !makesExecutable(mode)) return [];
  return f.tool === "install" ? f.argPaths.slice(-1) : f.argPaths;
}

/**
 * Judges an event with what came before it from the same agent. It sees the alerts the other
 * engines raised for the event, so a step can be "a credential was read" whatever rule said so.
 */
export class SequenceEngine {
  private readonly keys = new Map<string, KeyState>();
  private readonly maxKeys: number;
  private evicted = 0;
  private readonly fired: Record<string, number> = {};

  constructor(o: SequenceOptions = {}) {
    this.maxKeys = o.maxKeys ?? 4096;
  }

  status(): SequenceStatus {
    let entries = 0;
    for (const k of this.keys.values()) entries += k.discovery.size + k.dropped.size + k.executable.size + k.encryptions.length;
    return { keys: this.keys.size, entries, evicted: this.evicted, fired: { ...this.fired } };
  }

  judge(e: Event, f: Facts, raised: readonly Alert[]): SequenceFinding[] {
    const p = e.process;
    if (!p) return [];
    const out: SequenceFinding[] = [];
    const now = e.ts;
    const agentKey = `a:${p.agent ?? p.uid}`;
    // Most events change nothing: the agent's state is only read (no LRU move) unless a step is taken.
    let touched: KeyState | undefined;
    const agent = (): KeyState => (touched ??= this.state(agentKey));
    const seen = this.keys.get(agentKey);

    // 1. A burst of distinct discovery commands from one parent (a script, or the agent itself).
    if (e.kind === "exec") {
      const tool = discoveryTool(f);
      if (tool !== undefined) {
        const parent = this.state(`p:${p.ppid}:${p.agent ?? p.uid}`);
        stamp(parent.discovery, tool, now, BURST_WINDOW);
        if (parent.discovery.size >= BURST_DISTINCT && now - parent.burstFiredAt > BURST_WINDOW) {
          parent.burstFiredAt = now;
          out.push(this.fire("recon.burst", "RECON", "warning", `${parent.discovery.size} distinct discovery commands within ${BURST_WINDOW / 1000} s (${[...parent.discovery.keys()].slice(0, 8).join(", ")})`));
        }
      }
    }

    // 2. Dropped → made executable → run.
    if (e.kind === "exec") {
      const dl = downloadTarget(f);
      if (dl) stamp(agent().dropped, dl, now, CHAIN_WINDOW);
      for (const path of chmodX(f)) stamp(agent().executable, path, now, CHAIN_WINDOW);
      const st = touched ?? seen;
      if (p.exe && st && st.executable.size > 0) {
        const x = st.executable.get(p.exe);
        const d = st.dropped.get(p.exe);
        // A build output made executable and run is daily work; a download, or a file in a temporary or hidden folder, is a dropper.
        if (x !== undefined && now - x <= CHAIN_WINDOW && (d !== undefined || /^\/(tmp|var\/tmp|dev\/shm|run\/shm)\//.test(p.exe) || /\/\.[^/]+\//.test(p.exe))) {
          out.push(this.fire("exec.dropped-and-run", "EXECUTION", d !== undefined ? "critical" : "warning", `${p.exe} was ${d !== undefined ? "downloaded, " : ""}made executable and run`));
          agent().executable.delete(p.exe);
        }
      }
      if (touched) {
        prune(touched.dropped, now, CHAIN_WINDOW);
        prune(touched.executable, now, CHAIN_WINDOW);
      }
    }
    if (e.kind === "file" && e.file && e.file.items.some((i) => i.nametype === "CREATE")) stamp(agent().dropped, e.file.path, now, CHAIN_WINDOW);

    // 3. A credential read, or secrets staged, then a connection out or an upload.
    const cred = raised.find((a) => a.category === "CRED_ACCESS" && a.severity !== "info");
    if (cred) {
      agent().credReadAt = now;
      agent().credWhat = cred.summary.slice(0, 120);
    }
    const staged = raised.find((a) => a.rule === "collection.archive" || a.rule === "collection.stage" || a.rule === "collection.code-archive");
    if (staged) {
      agent().stagedAt = now;
      agent().stagedWhat = staged.summary.slice(0, 120);
    }
    const sends = (e.kind === "net" && e.net?.address !== undefined && !/^(127\.|::1$|::ffff:127\.)/.test(e.net.address) && (e.net.family === "inet" || e.net.family === "inet6")) || raised.some((a) => a.category === "DATA_EXFIL" && a.severity !== "info" && !a.rule.startsWith("collection.") && a.rule !== "exfil.after-credential");
    const a0 = touched ?? seen;
    if (sends && !cred && a0 && (a0.credReadAt > -Infinity || a0.stagedAt > -Infinity)) {
      const agentState = agent();
      const to = e.net?.address !== undefined ? `${e.net.address}:${e.net.port ?? "?"}` : (f.hosts.join(", ") || baseName(f.exe));
      if (now - agentState.credReadAt <= EXFIL_WINDOW && agentState.credReadAt > -Infinity) {
        out.push(this.fire("exfil.after-credential", "DATA_EXFIL", "critical", `sends to ${to} after reading a credential (${agentState.credWhat})`));
        agentState.credReadAt = -Infinity;
      } else if (now - agentState.stagedAt <= EXFIL_WINDOW && agentState.stagedAt > -Infinity) {
        out.push(this.fire("exfil.after-staging", "DATA_EXFIL", "critical", `sends to ${to} after staging secrets (${agentState.stagedWhat})`));
        agentState.stagedAt = -Infinity;
      }
    }

    // 4. Many files encrypted in a row: the shape of ransomware.
    if (e.kind === "exec" && ENCRYPTORS.has(f.tool) && encrypts(f)) {
      const st = agent();
      st.encryptions.push(now);
      while (st.encryptions.length > 0 && now - st.encryptions[0]! > ENCRYPT_WINDOW) st.encryptions.shift();
      if (st.encryptions.length >= ENCRYPT_COUNT && now - st.encryptFiredAt > ENCRYPT_WINDOW) {
        st.encryptFiredAt = now;
        out.push(this.fire("impact.encrypt-many", "DATA_EXFIL", "critical", `${st.encryptions.length} files encrypted within ${ENCRYPT_WINDOW / 1000} s (ransomware shape)`));
      }
    }
    return out;
  }

  private fire(rule: string, category: Category, severity: Severity, summary: string): SequenceFinding {
    this.fired[rule] = (this.fired[rule] ?? 0) + 1;
    return { rule, category, severity, summary };
  }

  private state(key: string): KeyState {
    let s = this.keys.get(key);
    if (s) {
      this.keys.delete(key);
      this.keys.set(key, s);
      return s;
    }
    s = fresh();
    this.keys.set(key, s);
    while (this.keys.size > this.maxKeys) {
      this.keys.delete(this.keys.keys().next().value!);
      this.evicted++;
    }
    return s;
  }
}

/** Most entries a time-keyed map of one agent holds; a flood keeps the newest. */
const MAX_TIMED = 256;

/**
 * Records key at time now, keeping the map in time order (re-set moves a key to the end) so that
 * pruning stops at the first fresh entry, and bounded whatever the flood.
 */
function stamp(m: Map<string, number>, key: string, now: number, window: number): void {
  m.delete(key);
  m.set(key, now);
  prune(m, now, window);
}

function prune(m: Map<string, number>, now: number, window: number): void {
  for (const [k, t] of m) {
    if (now - t <= window && m.size <= MAX_TIMED) return;
    m.delete(k);
  }
}
