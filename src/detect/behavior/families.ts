// Behaviour rules by technique family: what an unprivileged agent does to hide, stage, discover,
// persist, inject and tamper, read from the meaning of its commands (their options, the paths and
// names they are given), never from one spelling of one attack.
import type { Category, Severity } from "../../events/index.js";
import { baseName } from "./argv.js";
import { interpreterCode, stringLiterals } from "./code.js";
import { INTERPRETERS, NET_TOOLS, SHELLS, type Facts } from "./facts.js";
import { credClasses, PROTECTED_PROCS, readHits, TMP_DIRS, type BehaviorRule, type Hit } from "./hits.js";
import { classifyPath, normalizeHome } from "./paths.js";
import { parseInstall, typosquatOf } from "../supply/typosquat.js";

/** Variables that make a program load or run code the caller chose. */
export const HIJACK_VARS = /\b(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|PYTHONSTARTUP|NODE_OPTIONS|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|GCONV_PATH|PERL5OPT|RUBYOPT|BASH_ENV|PROMPT_COMMAND)=/;

const inTemp = (p: string): boolean => TMP_DIRS.some((d) => p.startsWith(d)) || p === "/tmp" || p === "/dev/shm";

/** Hidden folders where toolchains legitimately keep their programs. */
const TOOLCHAIN_HIDDEN = /\/\.(local\/bin|local\/share\/pnpm|local\/lib|cargo|rustup|nvm|npm|pyenv|rbenv|bun|deno|volta|sdkman|gradle|m2|asdf|vscode-server|vscode|cache\/ms-playwright|cache\/node|cache\/pip|cache\/puppeteer|npm-global|node_modules|yarn|config\/yarn|opam|ghcup|cabal|dotnet|git|venv|tox|nox|mypy_cache|pytest_cache|terraform\.d|tfenv|goenv|jenv|foundry|elan|platformio)\//;

function hiddenPlace(p: string): boolean {
  if (!/\/\.[^/.][^/]*\//.test(p) && !/\/\.[^/.][^/]*$/.test(p)) return false;
  return !TOOLCHAIN_HIDDEN.test(p);
}

function hit(id: string, category: Category, severity: Severity, summary: string): Hit {
  return { id, category, severity, summary };
}

/** What one environment variable given to a command means. */
export function envHits(f: Facts, name: string, value: string, how: string): Hit[] {
  const v = value.replace(/^["']|["']$/g, "");
  const risky = inTemp(v) || hiddenPlace(v) || v.includes("/tmp") || v.includes("/dev/shm");
  switch (name) {
    case "HISTFILE":
      return v === "" || v === "/dev/null" ? [hit("evasion.history", "EVASION", "warning", `${f.tool}: ${how} HISTFILE=${v || "''"}: nothing typed is kept`)] : [];
    case "HISTSIZE":
    case "HISTFILESIZE":
    case "SAVEHIST":
      return v === "0" || v === "" ? [hit("evasion.history", "EVASION", "warning", `${f.tool}: ${how} ${name}=${v || "''"}: the history is turned off`)] : [];
    case "LD_PRELOAD":
    case "LD_AUDIT":
      return [hit("inject.loader", "PRIV_ESC", risky ? "critical" : "warning", `${f.tool}: ${how} ${name}=${v.slice(0, 120)}: every program it starts loads that library`)];
    case "LD_LIBRARY_PATH":
      return risky || v.split(":").some((x) => x === "." || x === "") ? [hit("inject.loader", "PRIV_ESC", "warning", `${f.tool}: ${how} LD_LIBRARY_PATH=${v.slice(0, 120)}: libraries are taken from there first`)] : [];
    case "PYTHONSTARTUP":
    case "BASH_ENV":
    case "PROMPT_COMMAND":
      return [hit("inject.env-code", "EXECUTION", "warning", `${f.tool}: ${how} ${name}=${v.slice(0, 120)}: code that runs with every interpreter start`)];
    case "NODE_OPTIONS":
      return /(^|\s)(--require|-r|--import|--loader|--experimental-loader)\b/.test(v) ? [hit("inject.env-code", "EXECUTION", "warning", `${f.tool}: ${how} NODE_OPTIONS=${v.slice(0, 120)}: a module preloaded into every node`)] : [];
    case "JAVA_TOOL_OPTIONS":
    case "_JAVA_OPTIONS":
    case "JDK_JAVA_OPTIONS":
      return /-javaagent|-agentpath|-agentlib/.test(v) ? [hit("inject.env-code", "EXECUTION", "warning", `${f.tool}: ${how} ${name}=${v.slice(0, 120)}: an agent loaded into every JVM`)] : [];
    case "GCONV_PATH":
      return [hit("inject.env-code", "EXECUTION", "warning", `${f.tool}: ${how} GCONV_PATH=${v.slice(0, 120)}: glibc loads converters from there`)];
    case "PERL5OPT":
    case "RUBYOPT":
      return /-[MdIr]/.test(v) ? [hit("inject.env-code", "EXECUTION", "warning", `${f.tool}: ${how} ${name}=${v.slice(0, 120)}: code loaded into every interpreter`)] : [];
    default:
      return [];
  }
}

/** NAME=VALUE words of export/declare/typeset/env/set. */
function assignments(args: readonly string[]): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const a of args) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(a);
    if (m) out.push({ name: m[1]!, value: m[2]! });
  }
  return out;
}

const SEC_PRODUCTS = /\b(falco|osquery|osqueryd|crowdstrike|falcon-sensor|falcond|sysdig|wazuh|ossec|clamav|clamd|freshclam|sentinelone|sentinelagent|carbonblack|cbagent|tetragon|tracee|aide|snort|suricata|apparmor|selinux|auditbeat|elastic-agent|sophos|eset|mdatp|rkhunter|chkrootkit|lynis|tripwire|samhain|fail2ban)\b/i;
const CLAWAV = /(^|[\s/'"=:(])clawav(\.js|sudo)?(?=$|[\s/'")|:.])/i;
/** Tools whose naming a path is a change to it. */
const OWN_FILE_WRITERS = new Set(["tee", "truncate", "rm", "unlink", "shred", "mv", "cp", "install", "ln", "chmod", "chown", "chattr", "dd", "touch", "rsync"]);
/** A shell redirection (> or >>) onto a path naming clawav. */
const REDIRECT_TO_CLAWAV = /(^|[^<>&0-9])>>?\s*['"]?[^\s'"]*clawav/i;
const WATCHDOG = /(^|[\s/'"=:(])clawav(\.js|sudo)?(?=$|[\s/'")|:])|\bauditd\b|\blaurel\b|audit\.rules|audit\.log|\/etc\/audit\b|auditctl/i;
const CRED_NAME = /^(\*?id_[a-z0-9*]*|\*?\.?(pem|key|p12|pfx|kdbx|ovpn|keystore|jks|asc|gpg|ppk)|\.env(\..*)?|\*?credentials?\*?|\*?secrets?\*?|\*?passw(or)?d\*?|authorized_keys|\.netrc|\.git-credentials|wallet\.dat|\.pgpass|\*?token\*?|\.npmrc|\.pypirc|known_hosts|shadow)$/i;
const SECRET_PATTERN = /pass(word|wd)?|secret|token|api[_-]?key|apikey|private.?key|BEGIN [A-Z ]*PRIVATE|aws_(secret|access)|credential|bearer|authorization|client_secret/i;
const DAEMON_NAMES = /^(sshd|systemd(-[a-z-]+)?|kworker.*|kthreadd|ksoftirqd.*|kswapd\d*|dbus-daemon|dbus-broker|cron|crond|rsyslogd|syslogd|journald|udevd|init|getty|agetty|polkitd|networkmanager|containerd|dockerd|snapd|atd|irqbalance|migration.*|watchdogd?|rcu_.*|accounts-daemon|avahi-daemon|cupsd|login|gdm|lightdm|upowerd|udisksd|auditd|chronyd|ntpd|named|nginx|apache2|httpd|mysqld|postgres)$/i;
const SNEAKY_CHARS = /[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u00a0]|\s$/;
const ARCHIVERS = new Set(["tar", "zip", "7z", "7za", "7zr", "rar", "cpio", "gzip", "bzip2", "xz", "zstd", "pigz", "lz4", "ar"]);
export const ENCRYPTORS: ReadonlySet<string> = new Set(["gpg", "gpg2", "openssl", "age", "ccrypt", "mcrypt", "aescrypt", "scrypt"]);

/** Home-level folders whose whole content is secret: archiving or copying them is collection. */
const SECRET_DIRS = /(^|\/)(\.ssh|\.aws|\.gnupg|\.kube|\.docker|\.openclaw|\.claude|\.config\/gcloud|\.azure|\.password-store|\.local\/share\/keyrings|\.mozilla|\.config\/google-chrome|\.config\/chromium)\/?$/;

function sensitive(p: string): string | undefined {
  const n = normalizeHome(p).replace(/\/+$/, "");
  if (SECRET_DIRS.test(n)) return `${p} (a secrets folder)`;
  if (/^(\/home\/[^/]+|\/root|\/~)$/.test(n) || p === "~" || p === "$HOME") return `${p} (a whole home)`;
  const c = classifyPath(p).find((x) => x.read?.category === "CRED_ACCESS" || x.id === "agent-config" || x.id === "shell-history");
  return c ? `${p} (${c.description})` : undefined;
}

/** The paths an archiver is given, with tar's -C folder taken into account. */
function archivedPaths(f: Facts): string[] {
  const out = [...f.argPaths];
  let dir: string | undefined;
  for (let i = 0; i < f.args.length; i++) {
    const a = f.args[i]!;
    if ((a === "-C" || a === "--directory") && f.args[i + 1]) dir = f.args[++i];
    else if (a.startsWith("--directory=")) dir = a.slice(12);
    else if (dir !== undefined && !a.startsWith("-")) out.push(`${dir.replace(/\/+$/, "")}/${a}`);
  }
  return out;
}

function isCreate(f: Facts): boolean {
  const a = f.args;
  switch (f.tool) {
    case "tar":
      return a.some((x) => x === "--create" || x === "-c" || (/^-?[a-zA-Z]+$/.test(x) && !x.startsWith("--") && x.replace(/^-/, "").includes("c") && a.indexOf(x) === 0) || /^-[a-zA-Z]*c[a-zA-Z]*$/.test(x));
    case "7z":
    case "7za":
    case "7zr":
    case "rar":
      return a[0] === "a";
    case "cpio":
      return a.some((x) => x === "-o" || x === "--create" || /^-[a-zA-Z]*o/.test(x));
    default:
      return true;
  }
}

function encryptedArchive(f: Facts): boolean {
  return f.args.some((x) => x === "-e" || x === "--encrypt" || x === "-P" || x.startsWith("--password") || /^-p.+/.test(x) && (f.tool.startsWith("7z") || f.tool === "rar")) || f.args.includes("-mhe=on");
}

/** openssl enc / gpg -c / age: is this call encrypting (not decrypting, not hashing)? */
export function encrypts(f: Facts): boolean {
  const a = f.args;
  if (f.tool === "openssl") return (a[0] === "enc" || /^-?aes|^-?chacha|^-?des|^-?camellia/.test(a[0] ?? "")) && !a.includes("-d") && !a.includes("-base64") && !a.includes("-a");
  if (f.tool === "gpg" || f.tool === "gpg2") return a.some((x) => x === "-c" || x === "--symmetric" || x === "-e" || x === "--encrypt" || /^-[a-zA-Z]*c[a-zA-Z]*$/.test(x) && !x.startsWith("--"));
  return !a.includes("-d") && !a.includes("--decrypt");
}

export function modeOf(f: Facts): string | undefined {
  return f.args.find((a) => !a.startsWith("-") || /^-[rwxXst]+$/.test(a) === false && /^[-+=]/.test(a) && /[rwxXst]/.test(a));
}

export function makesExecutable(mode: string): boolean {
  if (/^[0-7]{3,4}$/.test(mode)) return (parseInt(mode, 8) & 0o111) !== 0;
  return /^[ugoa]*[+=][rwXst]*x/.test(mode) || /^\+x$/.test(mode);
}

function worldWritable(mode: string): boolean {
  if (/^[0-7]{3,4}$/.test(mode)) return (parseInt(mode, 8) & 0o002) !== 0;
  return mode.split(",").some((m) => /^[ugoa]*[oa][ugoa]*[+=][rwxXst]*w/.test(m) || /^[+=][rwxXst]*w/.test(m));
}

/** Where a URL argument points: host and port. */
function urlTargets(args: readonly string[]): { host: string; port: number | undefined }[] {
  const out: { host: string; port: number | undefined }[] = [];
  for (const a of args) {
    const m = /^(?:https?|wss?):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?/i.exec(a);
    if (m) out.push({ host: m[1]!.replace(/^\[|\]$/g, "").toLowerCase(), port: m[2] !== undefined ? Number(m[2]) : undefined });
  }
  return out;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|0\.0\.0\.0|\[::1\])$/;

export const FAMILY_RULES: readonly BehaviorRule[] = [
  // ── indicator removal (T1070) ───────────────────────────────────────────────────────────
  {
    id: "evasion.history",
    category: "EVASION",
    severity: "warning",
    description: "the shell history is cleared, switched off or pointed at /dev/null (T1070.003, T1562.003)",
    kinds: ["exec"],
    tools: ["history", "unset", "export", "declare", "typeset", "set", "shopt", "setopt", "unsetopt", "fc"],
    inner: true,
    match: (f) => {
      const a = f.args;
      switch (f.tool) {
        case "history":
          return a.some((x) => x === "-c" || x === "-w" || x === "-d" || x === "-r" || x === "-p") ? { summary: `history ${a.join(" ")}: the shell history is cleared or rewritten` } : undefined;
        case "unset":
          return a.some((x) => /^(HISTFILE|HISTSIZE|HISTFILESIZE|HISTCMD|SAVEHIST)$/.test(x)) ? { summary: `unset ${a.join(" ")}: nothing typed is kept` } : undefined;
        case "set":
          return a.includes("+o") && a.includes("history") ? { summary: "set +o history: the shell stops keeping a history" } : undefined;
        case "shopt":
          return a.includes("-u") && a.includes("histappend") ? { summary: "shopt -u histappend" } : undefined;
        case "setopt":
        case "unsetopt":
          return a.some((x) => /hist/i.test(x)) && f.tool === "unsetopt" ? { summary: `unsetopt ${a.join(" ")}` } : undefined;
        default: {
          // export/declare/typeset NAME=VALUE: the environment of everything that follows
          const hits = assignments(a).flatMap((x) => envHits(f, x.name, x.value, f.tool));
          return hits.length > 0 ? hits : undefined;
        }
      }
    },
  },
  {
    id: "evasion.timestomp",
    category: "EVASION",
    severity: "warning",
    description: "a file's timestamps are set to another time (T1070.006)",
    kinds: ["exec"],
    tools: ["touch"],
    inner: true,
    match: (f) => (f.args.some((a) => a === "-d" || a === "-r" || a === "-t" || a.startsWith("--date") || a.startsWith("--reference") || /^-[acm]*[drt]$/.test(a)) ? { summary: `touch ${f.args.join(" ").slice(0, 160)}: timestamps forged` } : undefined),
  },
  {
    id: "evasion.delete-traces",
    category: "EVASION",
    severity: "warning",
    description: "logs, dropped tools or hidden files in temporary folders are deleted or shredded (T1070.004)",
    kinds: ["exec"],
    tools: ["rm", "shred", "unlink", "srm", "wipe"],
    inner: true,
    match: (f) => {
      if (f.tool === "shred" || f.tool === "srm" || f.tool === "wipe") return f.argPaths.length > 0 ? { summary: `${f.tool} ${f.argPaths.join(" ").slice(0, 160)}: destroyed beyond recovery` } : undefined;
      const traces = f.argPaths.filter((p) => /\/(logs?|log\/[^/]+)(\/|$)|\.log(\.\d+)?$|^\/var\/log\//.test(p) || (inTemp(p) && /\/\.[^/]+$/.test(p)));
      return traces.length > 0 ? { summary: `${f.tool} ${traces.join(" ").slice(0, 160)}: traces removed` } : undefined;
    },
  },
  // ── permissions and attributes (T1222.002) ──────────────────────────────────────────────
  {
    id: "evasion.permissions",
    category: "EVASION",
    severity: "warning",
    description: "a file in a temporary or hidden folder made executable, something made world-writable, or an immutable/append-only attribute changed (T1222.002)",
    kinds: ["exec"],
    tools: ["chmod", "chattr", "install", "setfacl"],
    inner: true,
    match: (f) => {
      if (f.tool === "chattr") return f.args.some((a) => /^[-+=][a-zA-Z]*[ia]/.test(a)) ? { summary: `chattr ${f.args.join(" ").slice(0, 160)}: immutable or append-only attribute changed` } : undefined;
      if (f.tool === "setfacl") return f.args.some((a) => /(^|,)o(ther)?::?[r-]?w/.test(a)) ? { summary: `setfacl ${f.args.join(" ").slice(0, 160)}: world-writable` } : undefined;
      const mode = f.tool === "install" ? f.args[f.args.findIndex((a) => a === "-m" || a === "--mode") + 1] ?? f.args.find((a) => a.startsWith("--mode="))?.slice(7) : modeOf(f);
      if (!mode) return undefined;
      const targets = f.tool === "install" ? f.argPaths.slice(-1) : f.argPaths;
      const hits: Hit[] = [];
      const odd = targets.filter((p) => inTemp(p) || hiddenPlace(p));
      if (makesExecutable(mode) && odd.length > 0) hits.push({ summary: `${f.tool} ${mode} ${odd.join(" ").slice(0, 160)}: made executable in a temporary or hidden folder` });
      if (worldWritable(mode) && targets.length > 0) hits.push({ summary: `${f.tool} ${mode} ${targets.join(" ").slice(0, 160)}: world-writable` });
      return hits;
    },
  },
  // ── obfuscation: compiling where payloads are dropped (T1027.004) ───────────────────────
  {
    id: "evasion.compile-temp",
    category: "EVASION",
    severity: "warning",
    description: "a compiler builds from or into a temporary or hidden folder, or from standard input (T1027.004)",
    kinds: ["exec"],
    tools: ["gcc", "cc", "g++", "c++", "clang", "clang++", "tcc", "rustc", "go", "nasm", "as", "ld", "x86_64-linux-gnu-gcc", "x86_64-linux-gnu-gcc-12"],
    inner: true,
    match: (f) => {
      if (f.tool === "go" && !["build", "run"].includes(f.args[0] ?? "")) return undefined;
      const paths = [...f.argPaths, ...(f.tool === "go" && f.cwd ? [f.cwd + "/"] : [])];
      const odd = paths.filter((p) => inTemp(p) || hiddenPlace(p));
      const stdin = f.args.includes("-") && f.args.some((a) => a === "-x" || a.startsWith("-x"));
      if (odd.length === 0 && !stdin) return undefined;
      const shared = f.args.includes("-shared");
      return { summary: `${f.tool} ${stdin ? "compiles code from standard input" : `builds in ${odd.join(", ").slice(0, 160)}`}${shared ? " (a shared library: a preload payload)" : ""}`, severity: shared && odd.length > 0 ? "critical" : "warning" };
    },
  },
  // ── collection and staging (T1560.001, T1074.001, T1486) ────────────────────────────────
  {
    id: "collection.archive",
    category: "DATA_EXFIL",
    severity: "warning",
    description: "credentials, agent secrets or a whole home archived, encrypted or copied to a staging place (T1560.001, T1074.001)",
    kinds: ["exec"],
    tools: [...ARCHIVERS, ...ENCRYPTORS, "cp", "rsync", "scp", "mv"],
    inner: true,
    match: (f) => {
      if (ARCHIVERS.has(f.tool)) {
        if (!isCreate(f)) return undefined;
        const found = archivedPaths(f).map(sensitive).filter((x): x is string => x !== undefined);
        if (found.length === 0) return undefined;
        const enc = encryptedArchive(f);
        return { summary: `${f.tool} archives ${found.join(", ").slice(0, 200)}${enc ? " with a password" : ""}`, severity: enc ? "critical" : "warning" };
      }
      if (ENCRYPTORS.has(f.tool)) {
        if (!encrypts(f)) return undefined;
        const found = f.argPaths.map(sensitive).filter((x): x is string => x !== undefined);
        if (found.length > 0) return { summary: `${f.tool} encrypts ${found.join(", ").slice(0, 200)}`, severity: "critical" };
        // The input named by a loop variable: every file of a folder, one after the other.
        if (f.args.some((a) => /^"?\$\{?[A-Za-z_]\w*\}?"?$/.test(a)) && f.depth > 0) return { id: "impact.encrypt-files", summary: `${f.tool} encrypts file after file in a loop (ransomware shape)` };
        return undefined;
      }
      // cp/rsync/mv of a secrets folder or credential into a temporary folder: staged for sending.
      const dest = f.argPaths[f.argPaths.length - 1];
      if (!dest || (!inTemp(dest) && !hiddenPlace(dest))) return undefined;
      const found = f.argPaths.slice(0, -1).map(sensitive).filter((x): x is string => x !== undefined);
      return found.length > 0 ? { id: "collection.stage", summary: `${f.tool} copies ${found.join(", ").slice(0, 200)} to ${dest}` } : undefined;
    },
  },
  {
    id: "collection.code-archive",
    category: "DATA_EXFIL",
    severity: "warning",
    description: "inline code archives or copies credentials (tarfile, zipfile, shutil)",
    kinds: ["exec"],
    tools: [...INTERPRETERS],
    inner: true,
    match: (f) => {
      const ic = interpreterCode(f.tool, f.args);
      if (!ic || !/\btarfile\b|\bzipfile\b|make_archive|copytree|shutil\.copy|Archive::|AdmZip|archiver|createGzip/.test(ic.code)) return undefined;
      const found = stringLiterals(ic.code).map(sensitive).filter((x): x is string => x !== undefined);
      return found.length > 0 ? { summary: `${f.tool}: inline code archives or copies ${found.join(", ").slice(0, 200)}` } : undefined;
    },
  },
  // ── credentials in files (T1552.001, T1552.003, T1552.004) ──────────────────────────────
  {
    id: "cred.search",
    category: "CRED_ACCESS",
    severity: "warning",
    description: "a recursive search for passwords, tokens or keys; a search for key files by name; a key store listed (T1552.001, T1552.004)",
    kinds: ["exec"],
    tools: ["grep", "egrep", "fgrep", "rg", "ag", "ack", "find", "locate", "mlocate", "plocate", "fd", "fdfind", "ls", "tree"],
    inner: true,
    match: (f) => {
      const a = f.args;
      if (["grep", "egrep", "fgrep"].includes(f.tool) || ["rg", "ag", "ack"].includes(f.tool)) {
        const recursive = ["rg", "ag", "ack"].includes(f.tool) || a.some((x) => x === "-r" || x === "-R" || x === "--recursive" || x === "--dereference-recursive" || /^-[a-zA-Z]*[rR][a-zA-Z]*$/.test(x));
        if (!recursive) return undefined;
        const patterns: string[] = [];
        for (let i = 0; i < a.length; i++) {
          if (a[i] === "-e" || a[i] === "--regexp") patterns.push(a[i + 1] ?? "");
          else if (a[i]!.startsWith("--regexp=")) patterns.push(a[i]!.slice(9));
        }
        if (patterns.length === 0) {
          const first = a.find((x) => !x.startsWith("-"));
          if (first !== undefined) patterns.push(first);
        }
        const p = patterns.find((x) => SECRET_PATTERN.test(x));
        return p !== undefined ? { summary: `${f.tool} searches recursively for ${JSON.stringify(p.slice(0, 60))}` } : undefined;
      }
      if (f.tool === "find" || f.tool === "fd" || f.tool === "fdfind" || f.tool.endsWith("locate")) {
        const hits: Hit[] = [];
        const names = f.tool === "find" ? a.filter((_, i) => i > 0 && /^-(i?name|i?path|i?wholename|i?regex)$/.test(a[i - 1]!)) : a.filter((x) => !x.startsWith("-"));
        const cred = names.find((n) => CRED_NAME.test(n.replace(/^.*\//, "")) || SECRET_PATTERN.test(n));
        if (cred !== undefined) hits.push({ summary: `${f.tool} looks for key or secret files named ${JSON.stringify(cred)}` });
        // -perm -4000, -perm /6000, -perm -u=s: where the setuid programs are
        for (let i = 0; i < a.length; i++) {
          if (a[i] !== "-perm") continue;
          const v = a[i + 1] ?? "";
          if (/^[-/+]?0?[2-7][0-7]{3}$/.test(v) || /[ug]=s|[ug]\+s/.test(v)) hits.push({ id: "recon.setid-search", category: "RECON", summary: `${f.tool} -perm ${v}: enumerates setuid and setgid programs` });
          if (/^[-/+]?[0-7]*[2367]$/.test(v) || /o[=+]w/.test(v)) hits.push({ id: "recon.writable-search", category: "RECON", summary: `${f.tool} -perm ${v}: looks for writable files` });
        }
        if (a.includes("-writable") && a.some((x) => x === "/" || x === "/etc" || x === "/usr")) hits.push({ id: "recon.writable-search", category: "RECON", summary: "find -writable over system folders" });
        return hits;
      }
      // ls / tree of a key store: which keys there are to take; of browser history: where the person goes
      const browsing = f.argPaths.filter((p) => classifyPath(p).some((c) => c.id === "browser-history"));
      if (browsing.length > 0) return { id: "recon.browser", category: "RECON", summary: `${f.tool} looks for browser history or bookmarks: ${browsing.join(", ").slice(0, 160)}` };
      const stores = f.argPaths.filter((p) => /(\/\.gnupg(\/private-keys-v1\.d)?|\/\.password-store|\/\.local\/share\/keyrings|\/\.ssh)\/?$/.test(normalizeHome(p)));
      return stores.length > 0 ? { summary: `${f.tool} lists the key store ${stores.join(", ")}` } : undefined;
    },
  },
  // ── discovery (T1082, T1069, T1201, T1518.001, T1217) ───────────────────────────────────
  {
    id: "recon.targeted",
    category: "RECON",
    severity: "warning",
    description: "discovery with a purpose: privileged groups, the password policy, file capabilities, security software (T1069.001, T1201, T1518.001)",
    kinds: ["exec"],
    tools: ["getent", "chage", "getcap", "ip", "arp", "grep", "egrep", "pgrep", "pidof", "ps", "ls", "systemctl", "service", "which", "whereis", "dpkg", "dpkg-query", "rpm", "apt", "apt-cache", "cat", "stat", "find", "lsmod", "passwd", "aa-status", "sestatus", "auditctl"],
    inner: true,
    match: (f) => {
      const a = f.args;
      const hits: Hit[] = [];
      if (f.tool === "getent" && a[0] === "group" && a.slice(1).some((g) => /^(sudo|wheel|admin|adm|root|docker|lxd|disk|shadow)$/.test(g))) hits.push({ summary: `getent ${a.join(" ")}: who holds privilege` });
      if (f.tool === "chage" && a.includes("-l")) hits.push({ summary: `chage -l: the password policy` });
      if (f.tool === "passwd" && a.includes("-S")) hits.push({ summary: `passwd -S: the password state` });
      if (f.tool === "getcap" && a.some((x) => x === "-r")) hits.push({ summary: `getcap -r: enumerates file capabilities` });
      if (f.tool === "auditctl" && a.some((x) => x === "-l" || x === "-s") && f.uid !== 0) hits.push({ id: "tamper.watch-recon", category: "SEC_TAMPER", summary: `auditctl ${a.join(" ")}: reads what the audit system watches` });
      if (f.tool === "aa-status" || f.tool === "sestatus" || f.tool === "lsmod") hits.push({ summary: `${f.tool}: which defences are loaded` });
      // The ARP cache and neighbour table: which other machines are near (T1018).
      if ((f.tool === "ip" && /^n(e(i(gh(bour|bor)?)?)?)?$/.test(a[0] ?? "")) || (f.tool === "arp" && a.some((x) => x === "-a" || x === "-n" || x === "-e")) || (f.tool === "cat" && f.argPaths.includes("/proc/net/arp"))) hits.push({ id: "recon.neighbours", summary: `${f.tool} ${a.join(" ").slice(0, 80)}: which other machines are near` });
      const text = a.join(" ");
      const product = SEC_PRODUCTS.exec(text);
      if (product) hits.push({ id: "recon.security-software", summary: `${f.tool} looks for security software (${product[0]})` });
      if (WATCHDOG.test(text) && f.tool !== "auditctl") hits.push({ id: "tamper.watch-recon", category: "SEC_TAMPER", summary: `${f.tool} looks at the watchdog: ${text.slice(0, 120)}` });
      return hits;
    },
  },
  {
    id: "tamper.watch-named",
    category: "SEC_TAMPER",
    severity: "warning",
    description: "a command names clawav or the audit system in its arguments (its files, processes or API)",
    kinds: ["exec"],
    inner: true,
    match: (f) => {
      // Nearly every command names nothing of clawav: look for the letters before anything else.
      if (!f.args.some((a) => a.includes("clawav") || a.includes("CLAWAV") || a.includes("Clawav"))) return undefined;
      // Tools the other rules already judge for this are left to them.
      if (["grep", "egrep", "pgrep", "pidof", "ps", "ls", "systemctl", "service", "cat", "stat", "find", "auditctl", "kill", "pkill", "killall", "which", "whereis"].includes(f.tool)) return undefined;
      // A command line the kernel cut short may end in half a word (/home/clawavtest → /home/clawav).
      const args = f.depth === 0 && f.e.process?.argv_truncated ? f.args.slice(0, -1) : f.args;
      const named = args.find((x) => CLAWAV.test(x));
      if (named === undefined) return undefined;
      // Changing clawav's own files (config, policies, state, chain, token, guard) is an attack on the
      // watch whether or not the kernel refuses it: the attempt is the intent.
      const writes = OWN_FILE_WRITERS.has(f.tool) || (f.tool === "sed" && args.some((a) => /^-[a-zA-Z]*i/.test(a))) || (SHELLS.has(f.tool) && REDIRECT_TO_CLAWAV.test(named));
      return writes ? { summary: `${f.tool} tries to change clawav's files: ${named.slice(0, 120)}`, severity: "critical" } : { summary: `${f.tool} names clawav: ${named.slice(0, 120)}` };
    },
  },
  // ── persistence beyond files (T1053, T1546, T1574) ──────────────────────────────────────
  {
    id: "persistence.git-config",
    category: "PERSISTENCE",
    severity: "warning",
    description: "git is told to run a program of the caller's choosing (core.pager, core.editor, core.sshCommand, core.hooksPath, fsmonitor, aliases, filters) (T1546)",
    kinds: ["exec"],
    tools: ["git"],
    inner: true,
    match: (f) => {
      const a = f.args;
      const i = a.indexOf("config");
      if (i < 0) return undefined;
      const rest = a.slice(i + 1).filter((x) => !x.startsWith("--") || x === "--add");
      const key = rest.find((x) => x !== "--add");
      if (!key || !/^(core\.(pager|editor|sshcommand|fsmonitor|hookspath|askpass|gitproxy)|sequence\.editor|diff\.external|credential\.helper|alias\..+|filter\..+\.(clean|smudge|process)|include\.path|includeif\..+|url\..+\.insteadof|gpg\.program|pager\..+|interactive\.difffilter)$/i.test(key)) return undefined;
      const value = rest[rest.indexOf(key) + 1];
      if (value === undefined) return undefined;
      const bad = /curl|wget|\bnc\b|ncat|socat|\bsh\b|bash|\/tmp\/|\/dev\/shm|base64|python|perl|evil|!/.test(value);
      return { summary: `git config ${key} ${value.slice(0, 120)}`, severity: bad ? "critical" : "warning" };
    },
  },
  {
    id: "persistence.install-script",
    category: "PERSISTENCE",
    severity: "warning",
    description: "an install script (preinstall, postinstall, prepare) added to a package.json (T1195.001, T1546)",
    kinds: ["exec"],
    tools: ["sed", "node", "python3", "perl", "ruby", "jq", "npm", "tee", "awk"],
    inner: true,
    match: (f) => {
      const text = f.args.join(" ");
      if (f.tool === "npm") return f.args[0] === "pkg" && f.args[1] === "set" && /scripts\.(pre|post)?(install|prepare|prepublish)/.test(text) ? { summary: `npm ${text.slice(0, 160)}` } : undefined;
      if (!/package\.json/.test(text) && !f.argPaths.some((p) => p.endsWith("package.json"))) return undefined;
      if (f.tool === "sed" && !f.args.some((a) => a === "-i" || a.startsWith("-i") || a === "--in-place")) return undefined;
      return /\b(pre|post)?install\b|\bprepare\b|\bprepublish\b/.test(text) ? { summary: `${f.tool} adds an install script to package.json` } : undefined;
    },
  },
  // ── masquerading (T1036) ────────────────────────────────────────────────────────────────
  {
    id: "evasion.masquerade",
    category: "EVASION",
    severity: "warning",
    description: "a process passes for another: a daemon's or kernel thread's name outside the system's folders, a name set with exec -a, control characters or trailing spaces, a program in a hidden folder (T1036)",
    kinds: ["exec"],
    match: (f) => {
      const hits: Hit[] = [];
      const p = f.e.process;
      const argv0 = f.argv[0] ?? "";
      const exeBase = baseName(f.exe);
      const system = /^\/(usr\/)?(s?bin|lib|libexec)\//.test(f.exe);
      if (SNEAKY_CHARS.test(f.exe) || SNEAKY_CHARS.test(argv0)) hits.push({ summary: `${JSON.stringify(f.exe)} hides its name with control characters or trailing spaces`, severity: "critical" });
      if (/^\[.*\]$/.test(argv0) && f.uid !== 0) hits.push({ summary: `${f.exe} runs as ${argv0}, a kernel thread's name`, severity: "critical" });
      else if (!system && f.exe.startsWith("/") && DAEMON_NAMES.test(exeBase)) hits.push({ summary: `${f.exe} is named like the system daemon ${exeBase}`, severity: "critical" });
      else if (argv0 !== "" && DAEMON_NAMES.test(baseName(argv0)) && baseName(argv0) !== exeBase && !DAEMON_NAMES.test(exeBase) && f.uid !== 0) hits.push({ summary: `${f.exe} runs under the name ${argv0}` });
      if (hiddenPlace(f.exe) && p && f.uid !== 0) hits.push({ summary: `runs ${f.exe} from a hidden folder` });
      return hits;
    },
  },
  {
    id: "evasion.exec-name",
    category: "EVASION",
    severity: "warning",
    description: "exec -a gives a program another name",
    kinds: ["exec"],
    tools: ["exec"],
    inner: true,
    match: (f) => {
      const i = f.args.indexOf("-a");
      const name = i >= 0 ? f.args[i + 1] : undefined;
      if (name === undefined) return undefined;
      return { summary: `exec -a ${JSON.stringify(name)} ${f.args.slice(i + 2).join(" ").slice(0, 80)}`, severity: /^\[.*\]$/.test(name) || DAEMON_NAMES.test(baseName(name)) ? "critical" : "warning" };
    },
  },
  // ── injection and hijack (T1055, T1574.006) ─────────────────────────────────────────────
  {
    id: "inject.env",
    category: "PRIV_ESC",
    severity: "warning",
    description: "env starts a program with a loader or interpreter hook (LD_PRELOAD, NODE_OPTIONS --require, ...)",
    kinds: ["exec"],
    tools: ["env"],
    inner: true,
    match: (f) => assignments(f.args).flatMap((x) => envHits(f, x.name, x.value, "env sets")),
  },
  {
    id: "inject.attach",
    category: "PRIV_ESC",
    severity: "warning",
    description: "a debugger or tracer attaches to a running process (T1055.008)",
    kinds: ["exec"],
    tools: ["gdb", "strace", "ltrace", "gcore", "pyrasite", "lldb", "perf", "bpftrace", "dd"],
    inner: true,
    match: (f) => {
      if (f.tool === "dd") {
        const t = f.args.find((a) => /^(if|of)=\/proc\/[^/]+\/mem$/.test(a));
        return t ? { summary: `dd ${t}: another process's memory`, severity: "critical" } : undefined;
      }
      const pid = f.args.findIndex((a) => a === "-p" || a === "--pid" || a === "--attach" || a.startsWith("--pid=") || /^-p\d+$/.test(a));
      if (f.tool === "gdb" && pid < 0 && !f.args.includes("attach") && !f.args.some((a) => /\battach\s+\d+/.test(a))) return undefined;
      if (pid < 0 && f.tool !== "gdb" && f.tool !== "gcore" && f.tool !== "pyrasite") return undefined;
      if (f.tool === "perf" && !["record", "trace", "top"].includes(f.args[0] ?? "")) return undefined;
      return { summary: `${f.tool} attaches to a running process: ${f.args.join(" ").slice(0, 120)}` };
    },
  },
  {
    id: "inject.code-memory",
    category: "PRIV_ESC",
    severity: "critical",
    description: "inline code opens a process's memory (/proc/PID/mem)",
    kinds: ["exec"],
    tools: [...INTERPRETERS],
    inner: true,
    match: (f) => {
      const ic = interpreterCode(f.tool, f.args);
      const lit = ic ? stringLiterals(ic.code).find((l) => /^\/proc\/[^/]+\/mem$/.test(l)) : undefined;
      return lit ? { summary: `${f.tool}: inline code opens ${lit}` } : undefined;
    },
  },
  // ── exfiltration shapes (T1048, T1567, T1041) ───────────────────────────────────────────
  {
    id: "exfil.dns",
    category: "DATA_EXFIL",
    severity: "warning",
    description: "a DNS query carries data: command output or an encoded label (T1048.003, T1071.004)",
    kinds: ["exec"],
    tools: ["dig", "nslookup", "host", "drill", "kdig", "resolvectl", "delv"],
    inner: true,
    match: (f) => {
      const subst = f.args.find((a) => a.includes("$(") || a.includes("`"));
      if (subst !== undefined) return { summary: `${f.tool} queries a name built from command output: ${subst.slice(0, 120)}`, severity: "critical" };
      const long = f.args.find((a) => !a.startsWith("-") && !a.startsWith("@") && a.split(".").some((l) => l.length >= 30 && /^[A-Za-z0-9+/=_-]+$/.test(l)));
      return long !== undefined ? { summary: `${f.tool} queries ${long.slice(0, 120)} (an encoded label)` } : undefined;
    },
  },
  {
    id: "exfil.icmp",
    category: "DATA_EXFIL",
    severity: "warning",
    description: "ping with a chosen payload or an oversized packet (T1048)",
    kinds: ["exec"],
    tools: ["ping", "ping6", "hping3", "nping"],
    inner: true,
    match: (f) => {
      const a = f.args;
      const pat = a.findIndex((x) => x === "-p" || x === "--data" || x === "-E" || x === "--file");
      const size = a.findIndex((x) => x === "-s");
      if (pat >= 0) return { summary: `${f.tool} sends a chosen payload: ${a.slice(pat, pat + 2).join(" ").slice(0, 80)}` };
      if (size >= 0 && Number(a[size + 1]) > 1000) return { summary: `${f.tool} -s ${a[size + 1]}: oversized packets` };
      return undefined;
    },
  },
  {
    id: "exfil.remote-copy",
    category: "DATA_EXFIL",
    severity: "warning",
    description: "rsync, scp or sftp copy to a host that is not allowed (T1048)",
    kinds: ["exec"],
    tools: ["rsync", "scp", "sftp"],
    inner: true,
    match: (f) => {
      const words = f.args.filter((a) => !a.startsWith("-"));
      const dest = words[words.length - 1];
      if (!dest) return undefined;
      const m = /^rsync:\/\/(?:[^@/]+@)?([^/:]+)/.exec(dest) ?? /^(?:[^@/]+@)?([A-Za-z0-9.-]+|\[[^\]]+\]):/.exec(dest);
      if (!m) return undefined;
      const host = m[1]!.replace(/^\[|\]$/g, "");
      if (f.hostCheck.hostAllowed(host)) return undefined;
      const creds = words.slice(0, -1).filter((p) => sensitive(p) !== undefined || credClasses(p).length > 0);
      return { summary: `${f.tool} copies ${words.slice(0, -1).join(" ").slice(0, 120)} to ${host} (not an allowed host)`, severity: creds.length > 0 ? "critical" : "warning" };
    },
  },
  {
    id: "exfil.command-output",
    category: "DATA_EXFIL",
    severity: "critical",
    description: "a network tool sends the output of a command that reads secrets or the environment",
    kinds: ["exec"],
    tools: [...NET_TOOLS],
    inner: true,
    match: (f) => {
      const w = f.args.find((a) => /\$\(|`/.test(a) && /\b(cat|base64|env|printenv|whoami|id|hostname|head|tail|xxd|od)\b/.test(a));
      return w !== undefined ? { summary: `${f.tool} sends command output: ${w.slice(0, 120)}` } : undefined;
    },
  },
  // ── privilege (T1611, T1548, T1068) ─────────────────────────────────────────────────────
  {
    id: "priv.namespace",
    category: "PRIV_ESC",
    severity: "warning",
    description: "an unprivileged process makes a user namespace with root inside it, enters namespaces, changes its root or mounts",
    kinds: ["exec"],
    tools: ["unshare", "nsenter", "chroot", "mount", "umount", "capsh", "setpriv", "newuidmap", "bwrap", "firejail"],
    inner: true,
    match: (f) => {
      if (f.uid === 0) return undefined;
      if ((f.tool === "mount" || f.tool === "umount") && f.args.length === 0) return undefined;
      if (f.tool === "setpriv" && !f.args.some((a) => /--(re)?[ug]id=0|--inh-caps|--ambient-caps/.test(a))) return undefined;
      const root = f.args.some((a) => a === "-r" || a === "--map-root-user" || /^-[a-zA-Z]*r[a-zA-Z]*$/.test(a) && f.tool === "unshare");
      return { summary: `${f.tool} ${f.args.join(" ").slice(0, 120)}${root ? " (root inside a user namespace)" : ""}` };
    },
  },
  // ── tampering with the watch (T1562.001, T1489) ─────────────────────────────────────────
  {
    id: "tamper.signal",
    category: "SEC_TAMPER",
    severity: "critical",
    description: "a signal sent to auditd, clawav or another defence, or to every node process (clawav runs on node)",
    kinds: ["exec"],
    tools: ["kill", "pkill", "killall", "skill", "timeout"],
    inner: true,
    match: (f) => {
      const text = f.args.join(" ");
      if (/\b(auditd|laurel|falco|samhain|osquery)\b/i.test(text) || CLAWAV.test(text)) return { summary: `${f.tool} ${text.slice(0, 120)}: signals the watchdog` };
      if ((f.tool === "killall" || f.tool === "pkill") && f.args.some((a) => /^(node|nodejs)$/.test(a))) return { summary: `${f.tool} ${text.slice(0, 120)}: kills every node process, clawav among them`, severity: "warning" };
      if ((f.tool === "pkill" || f.tool === "killall") && f.args.some((a) => PROTECTED_PROCS.test(a))) return { summary: `${f.tool} ${text.slice(0, 120)}` };
      return undefined;
    },
  },
  {
    id: "tamper.signal-refused",
    category: "SEC_TAMPER",
    severity: "warning",
    description: "the kernel refused a signal a watched process sent to a process it does not own; critical when aimed at auditd or clawav (T1562.001)",
    kinds: ["signal"],
    match: (f) => {
      const sc = f.e.syscall;
      if (!sc || sc.success !== false || f.uid === 0) return undefined;
      const t = sc.target;
      const sig = parseInt(sc.args[sc.name === "tgkill" ? 2 : 1] ?? "", 16);
      const who = t ? `pid ${t.pid}${t.exe ? ` (${t.exe})` : ""}` : `pid ${parseInt(sc.args[0] ?? "0", 16)}`;
      return { summary: `${f.tool} tried to send signal ${Number.isFinite(sig) ? sig : "?"} to ${who} and was refused${t?.protected ? ": an attack on the watch" : ""}`, severity: t?.protected ? "critical" : "warning" };
    },
  },
  {
    id: "tamper.watch-api",
    category: "SEC_TAMPER",
    severity: "warning",
    description: "a process queries clawav's own API (what the watchdog has seen)",
    kinds: ["exec", "net"],
    tools: [...NET_TOOLS, "python3", "node", "perl", "ruby", "php", "http", "xh"],
    inner: true,
    match: (f) => {
      if (f.e.kind === "net") {
        const n = f.e.net;
        return n?.address && LOOPBACK.test(n.address) && n.port !== undefined && f.hostCheck.isWatchdog(n.address, n.port) ? { summary: `${f.tool} connects to clawav's API at ${n.address}:${n.port}` } : undefined;
      }
      const urls = urlTargets([...f.args, ...(interpreterCode(f.tool, f.args) ? stringLiterals(interpreterCode(f.tool, f.args)!.code) : [])]);
      const u = urls.find((x) => LOOPBACK.test(x.host) && x.port !== undefined && f.hostCheck.isWatchdog(x.host, x.port));
      return u ? { summary: `${f.tool} queries clawav's API at ${u.host}:${u.port}` } : undefined;
    },
  },
  {
    id: "evasion.llm-proxy-bypass",
    category: "EVASION",
    severity: "critical",
    description: "a watched process reaches an LLM provider directly, around clawav's proxy ([proxy] enabled): its DLP and key checks do not see that traffic",
    kinds: ["exec", "net"],
    match: (f) => {
      const up = f.hostCheck.llmUpstream;
      if (!up) return undefined;
      if (f.e.kind === "net") {
        const n = f.e.net;
        if (n?.address === undefined || n.port === undefined) return undefined;
        const name = up(n.address, n.port) ?? (n.resolved_host !== undefined ? up(n.resolved_host, n.port) : undefined);
        return name ? { summary: `${f.tool} connects to ${n.resolved_host ?? n.address}:${n.port}, the ${name} upstream, around clawav's LLM proxy` } : undefined;
      }
      if (f.hosts.length === 0) return undefined;
      for (const a of f.args) {
        if (!/^https?:\/\//i.test(a)) continue;
        let u: URL;
        try {
          u = new URL(a);
        } catch {
          continue;
        }
        const host = u.hostname.replace(/^\[|\]$/g, "");
        const name = up(host, Number(u.port || (u.protocol === "https:" ? 443 : 80)));
        if (name) return { summary: `${f.tool} calls ${u.host}, the ${name} upstream, directly: around clawav's LLM proxy` };
      }
      return undefined;
    },
  },
  // ── supply chain: a package one slip away from a popular one (T1195.001) ────────────────
  {
    id: "supply.typosquat",
    category: "SUPPLY_CHAIN",
    severity: "critical",
    description: "a package install names a package a typo away from a popular one, and not popular itself (npm, pnpm, yarn, bun, pip, uv, cargo, go)",
    kinds: ["exec"],
    tools: ["npm", "pnpm", "yarn", "bun", "pip", "pip3", "uv", "cargo", "go", "python3", "pipx", "poetry"],
    inner: true,
    match: (f) => {
      if (!f.popular) return undefined;
      // pip runs as python3 -m pip: judge it as pip
      const argv = f.tool === "python3" && f.args[0] === "-m" && /^pip3?$/.test(f.args[1] ?? "") ? ["pip", ...f.args.slice(2)] : [f.tool, ...f.args];
      const inst = parseInstall(argv);
      if (!inst) return undefined;
      const hits: Hit[] = [];
      for (const name of inst.packages) {
        const sq = typosquatOf(inst.eco, name, f.popular);
        if (sq) hits.push({ summary: `${inst.tool} installs ${name}, ${sq.kind.replace("-", " ")} away from the popular ${sq.target}` });
      }
      return hits;
    },
  },
  // ── the agent's own secrets read by something else (T1552.001) ──────────────────────────
  {
    id: "cred.agent-secrets-code",
    category: "CRED_ACCESS",
    severity: "warning",
    description: "inline code (python3 -c, node -e, ...) reads an AI agent's credentials: the agent's runtime is the only program that should",
    kinds: ["exec", "file"],
    tools: [...INTERPRETERS],
    inner: true,
    match: (f) => {
      const ic = interpreterCode(f.tool, f.args);
      if (!ic) return undefined;
      const paths = f.e.kind === "file" ? f.paths : stringLiterals(ic.code);
      const hits = paths.flatMap((p) => readHits(f, p, "inline code reads")).filter((h) => h.id === "file.read.agent-config");
      return hits.length > 0 ? hits.map((h) => ({ ...h, id: "cred.agent-secrets-code" })) : undefined;
    },
  },
];

