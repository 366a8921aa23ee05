// Known ways an allowed binary hands out a root shell or runs arbitrary code (the GTFOBins classes).
// This is a deny-list of known escapes, checked before any allow rule: it cannot be complete, so a
// clawsudo policy should allow few binaries, and a tool not listed here is judged by the policy alone.
import { posix } from "node:path";
import { containerRunRisk } from "../../detect/index.js";

export type EscapeClass =
  | "pager"
  | "editor"
  | "exec-option"
  | "interpreter"
  | "shell"
  | "command-runner"
  | "container"
  | "privilege-write"
  | "file-read"
  | "library-load";

export interface Escape {
  class: EscapeClass;
  reason: string;
}

type Detector = (args: readonly string[], tool: string) => string | undefined;

/** A tool's canonical name: vim.basic → vim, python3.11 → python, gawk → awk. */
export function toolOf(exe: string): string {
  let b = posix.basename(exe);
  if (/^(vim?|nvim|view|rvim|vimdiff|ex)(\.\w+)?$/.test(b)) return "vim";
  if (/^[gmn]?awk$/.test(b) || b === "original-awk") return "awk";
  const m = /^(python|perl|ruby|php|lua|node|tclsh|wish|pypy)[\d.]*$/.exec(b);
  if (m) return m[1]!;
  b = b.replace(/\.(basic|tiny|gtk3?|nox)$/, "");
  return b;
}

/** Does any argument equal one of these options, or start with `opt=`, or (single-letter) `-Xvalue`? */
function hasOption(args: readonly string[], opts: readonly string[]): string | undefined {
  for (const a of args) {
    if (a === "--") return undefined;
    for (const o of opts) {
      if (a === o || (o.startsWith("--") && a.startsWith(`${o}=`))) return o;
      if (/^-[A-Za-z]$/.test(o) && a.startsWith(o) && a.length > 2 && !a.startsWith("--")) return o;
    }
  }
  return undefined;
}

/** The first argument that is not an option or an assignment (env's and similar tools' command). */
function firstCommand(args: readonly string[], optsWithValue: readonly string[] = []): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return args[i + 1];
    if (optsWithValue.includes(a)) {
      i++;
      continue;
    }
    if (a.startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) continue;
    return a;
  }
  return undefined;
}

const PRIVILEGED_PATHS = [
  "/etc/sudoers",
  "/etc/sudoers.d",
  "/etc/shadow",
  "/etc/gshadow",
  "/etc/passwd",
  "/etc/group",
  "/etc/ld.so.preload",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/cron.d",
  "/etc/cron.daily",
  "/etc/cron.hourly",
  "/etc/cron.weekly",
  "/etc/cron.monthly",
  "/etc/crontab",
  "/var/spool/cron",
  "/etc/systemd",
  "/lib/systemd",
  "/usr/lib/systemd",
  "/etc/pam.d",
  "/root",
  "/etc/profile",
  "/etc/profile.d",
  "/etc/bash.bashrc",
  "/etc/environment",
  "/etc/security",
  "/etc/clawav",
  "/etc/init.d",
  "/etc/rc.local",
  "/etc/update-motd.d",
  "/etc/apt/apt.conf.d",
];

/** Lexically normalised: `/etc/../etc/sudoers` and `//etc//shadow` are what they are. */
function privileged(p: string): string | undefined {
  if (!p.startsWith("/")) return undefined;
  const n = posix.normalize(p).replace(/\/+$/, "") || "/";
  if (n.includes("/.ssh/authorized_keys") || /\/\.ssh\/authorized_keys2?$/.test(n)) return n;
  for (const q of PRIVILEGED_PATHS) if (n === q || n.startsWith(`${q}/`) || (q === "/etc/profile" && n.startsWith("/etc/profile"))) return n;
  return undefined;
}

function writesPrivileged(args: readonly string[]): string | undefined {
  for (const a of args) {
    const eq = a.indexOf("=");
    const candidates = [a, ...(eq > 0 ? [a.slice(eq + 1)] : [])];
    for (const c of candidates) {
      const hit = privileged(c);
      if (hit) return hit;
    }
  }
  return undefined;
}

const privilegeWrite: Detector = (args, tool) => {
  const hit = writesPrivileged(args);
  return hit ? `${tool} on ${hit} would change who is root or what root runs` : undefined;
};

function setidMode(mode: string): boolean {
  if (/^[0-7]{4,}$/.test(mode)) return (parseInt(mode.slice(-4, -3), 8) & 0o6) !== 0;
  return /(^|,)[ugoa]*[+=][rwxXt]*s/.test(mode);
}

const DETECTORS: Record<string, { class: EscapeClass; detect: Detector }> = {};
function add(cls: EscapeClass, tools: readonly string[], detect: Detector): void {
  for (const t of tools) DETECTORS[t] = { class: cls, detect };
}

// A pager as root runs `!sh`; so does anything that opens one.
add("pager", ["less", "more", "most", "pg", "man", "lv", "w3m", "lynx", "links"], (_a, t) => `${t} is a pager (or opens one): as root it runs \`!sh\``);
add("pager", ["journalctl"], (args) => (args.includes("--no-pager") ? undefined : "journalctl opens a pager, which runs `!sh` as root; add --no-pager"));
add("pager", ["systemctl"], (args) => {
  if (args.includes("edit")) return "systemctl edit opens an editor as root";
  return args.includes("--no-pager") ? undefined : "systemctl opens a pager, which runs `!sh` as root; add --no-pager";
});
add("pager", ["git"], (args) => {
  if (hasOption(args, ["-p", "--paginate", "--exec-path", "-c", "--config-env"])) return "git with -p/-c/--exec-path can run a pager, an alias or a program of the caller's choice as root";
  if (firstCommand(args, ["-C", "--git-dir", "--work-tree", "--namespace"]) === "help") return "git help opens a pager as root";
  return args.includes("--no-pager") ? undefined : "git opens a pager as root (and runs hooks and aliases); add --no-pager";
});
add("pager", ["apt", "apt-get", "aptitude", "dpkg"], (args) => {
  if (args.includes("changelog")) return "apt changelog opens a pager as root";
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const val = a === "-o" || a === "--option" ? args[i + 1] : a.startsWith("-o") ? a.slice(2) : a.startsWith("--option=") ? a.slice(9) : undefined;
    if (val !== undefined && /Pre-Invoke|Post-Invoke|Pager|::Exec|Dpkg::Tools|Pre-Install-Pkgs|APT::Update::/i.test(val)) return `${val}: an apt option that runs a command as root`;
  }
  if (hasOption(args, ["--force-script-chrootless", "--instdir", "--root"])) return "dpkg options that change where root writes";
  return undefined;
});

add("editor", ["vim", "vi", "nano", "pico", "emacs", "ed", "red", "joe", "jed", "mcedit", "ne", "micro", "kak", "nvim", "sensible-editor", "editor", "rnano"], (_a, t) => `${t} is an editor: as root it can run a shell (:!sh) or write any file`);

add("exec-option", ["find"], (args) => {
  const o = args.find((a) => ["-exec", "-execdir", "-ok", "-okdir", "-fprint", "-fprint0", "-fprintf", "-fls"].includes(a));
  return o ? `find ${o} runs a command or writes a file as root` : undefined;
});
add("exec-option", ["tar"], (args) => {
  const o = hasOption(args, ["--checkpoint-action", "--to-command", "--use-compress-program", "-I", "--info-script", "--new-volume-script", "-F", "--rsh-command", "--rmt-command", "--index-file"]);
  return o ? `tar ${o} runs a command of the caller's choice as root` : undefined;
});
add("exec-option", ["awk"], (args) => {
  const o = hasOption(args, ["-f", "--file", "-l", "--load", "-i", "--include", "-E", "--exec", "-e", "--source"]);
  if (o) return `awk ${o} runs a program or library that is not on the command line`;
  const program = firstCommand(args, ["-v", "-F", "--assign", "--field-separator"]);
  if (program === undefined) return undefined;
  if (/\bsystem\s*\(|\|\s*getline|\bgetline\b|\|\s*"|\|&|@include|@load/.test(program)) return "an awk program that runs commands (system(), pipes, getline)";
  return undefined;
});
add("exec-option", ["sed"], (args) => {
  const scripts: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-e" || a === "--expression") scripts.push(args[++i] ?? "");
    else if (a.startsWith("--expression=")) scripts.push(a.slice(13));
    else if (a === "-f" || a === "--file" || a.startsWith("--file=")) return "sed -f runs a script that is not on the command line";
  }
  if (scripts.length === 0) {
    const s = firstCommand(args, ["-l", "--line-length"]);
    if (s !== undefined) scripts.push(s);
  }
  for (const s of scripts) {
    // The e command, the s///e flag, and w/W writing to files.
    if (/(^|[;\n}{]|\d|\$|\/)\s*e(\s|$|;)/.test(s) || /s(.).*?\1.*?\1[gpIiMm0-9]*e/.test(s)) return "sed's e command runs a shell command as root";
    if (/(^|[;\n}{]|\d|\$|\/)\s*[wW]\s+\S/.test(s) || /s(.).*?\1.*?\1[gpIiMme0-9]*w\s*\S/.test(s)) return "sed's w command writes a file of the caller's choice as root";
  }
  return undefined;
});
add("exec-option", ["rsync"], (args) => (hasOption(args, ["-e", "--rsh", "--rsync-path"]) ? "rsync -e/--rsync-path runs a command of the caller's choice as root" : privilegeWrite(args, "rsync")));
add("exec-option", ["ssh", "scp", "sftp"], (args, t) => {
  if (hasOption(args, ["-F", "-S"])) return `${t} -F/-S uses a config or program of the caller's choice`;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const v = a === "-o" ? args[i + 1] : a.startsWith("-o") ? a.slice(2) : undefined;
    if (v !== undefined && /^(ProxyCommand|LocalCommand|PermitLocalCommand|KnownHostsCommand|ProxyUseFdpass|Match)/i.test(v.trim())) return `${t} -o ${v.split("=")[0]} runs a local command as root`;
  }
  return undefined;
});
add("exec-option", ["zip"], (args) => (hasOption(args, ["-TT", "--unzip-command"]) ? "zip -TT runs a command of the caller's choice as root" : undefined));
add("exec-option", ["nmap"], (args) => (hasOption(args, ["--script", "-sC", "--interactive"]) ? "nmap scripts run Lua as root" : undefined));
add("exec-option", ["tcpdump"], (args) => (hasOption(args, ["-z", "--postrotate-command", "-Z"]) ? "tcpdump -z runs a command as root" : undefined));
add("exec-option", ["openssl"], (args) => (args.some((a) => a === "engine" || a === "-engine" || a === "-provider" || a === "-provider-path") ? "openssl engines and providers load code as root" : undefined));
add("exec-option", ["ip"], (args) => (args.includes("netns") && args.includes("exec") ? "ip netns exec runs a command as root" : undefined));
add("exec-option", ["iptables", "ip6tables", "iptables-legacy", "iptables-nft"], (args) => (hasOption(args, ["--modprobe"]) ? "iptables --modprobe runs a program as root" : undefined));
add("exec-option", ["wget"], (args) => (hasOption(args, ["--use-askpass", "--execute", "-e"]) ? "wget options that run commands" : privilegeWrite(args, "wget")));
add("file-read", ["curl"], (args) => {
  if (args.some((a) => /^file:/i.test(a))) return "curl file:// reads any file as root";
  if (hasOption(args, ["-K", "--config"])) return "curl -K reads options from a file of the caller's choice";
  return privilegeWrite(args, "curl");
});
add("command-runner", ["crontab", "at", "batch", "systemd-run", "mount", "umount", "chroot", "unshare", "nsenter", "script", "expect", "setsid", "sudo", "su", "doas", "runuser", "setpriv", "capsh", "start-stop-daemon", "run-parts", "parallel", "xargs", "strace", "ltrace", "gdb", "valgrind", "busybox", "watch", "flock", "dbus-send", "pkexec", "machinectl", "systemd-nspawn", "tmux", "screen", "socat", "nc", "ncat", "netcat"], (_a, t) => `${t} runs other commands (or a shell) as root`);
add("command-runner", ["env"], (args) => {
  if (hasOption(args, ["-S", "--split-string"])) return "env -S runs a command line as root";
  const cmd = firstCommand(args, ["-u", "--unset", "-C", "--chdir"]);
  return cmd !== undefined ? `env runs ${cmd} as root, whatever the policy says about ${cmd}` : undefined;
});
add("command-runner", ["nohup", "timeout", "nice", "ionice", "chrt", "taskset", "stdbuf", "time", "unbuffer", "cpulimit", "torify", "proxychains", "firejail", "bwrap"], (args, t) => {
  const cmd = firstCommand(args, ["-n", "-c", "-p", "-s", "-k", "--signal", "--kill-after", "--adjustment", "-i", "-o", "-e", "-t", "--class", "--classdata"]);
  return cmd !== undefined ? `${t} runs ${cmd} as root, whatever the policy says about ${cmd}` : undefined;
});
add("shell", ["sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "csh", "tcsh", "fish", "ash", "rbash", "yash", "posh", "elvish", "nu", "xonsh", "pwsh"], (_a, t) => `${t} is a shell`);
add("interpreter", ["python", "perl", "ruby", "node", "nodejs", "php", "lua", "luajit", "tclsh", "wish", "irb", "jjs", "jrunscript", "R", "Rscript", "guile", "gawk-shell", "make", "gmake", "cmake", "ansible", "ansible-playbook", "pypy", "bun", "deno", "java", "scala", "groovy", "julia", "octave", "erl", "escript", "ghci", "runghc", "swipl", "sqlite3", "mysql", "psql", "vimdiff"], (_a, t) => `${t} runs arbitrary code as root`);
add("container", ["docker", "podman", "nerdctl", "ctr", "crictl", "lxc", "kubectl"], (args, t) => {
  if (t === "ctr" || t === "crictl" || t === "lxc" || t === "kubectl") return `${t} can start privileged containers or exec into them as root`;
  return containerRunRisk(t, args);
});
add("library-load", ["insmod", "modprobe", "rmmod", "kmod", "ldconfig", "kexec"], (_a, t) => `${t} loads code into the kernel or changes how root links libraries`);
add("privilege-write", ["cp", "mv", "tee", "dd", "install", "ln", "truncate", "chattr", "rm", "shred", "touch", "mkdir", "cat"], (args, t) => (t === "cat" ? catEscape(args) : privilegeWrite(args, t)));
add("privilege-write", ["chmod"], (args) => {
  const mode = args.find((a) => !a.startsWith("-") || /^-[rwxXst]/.test(a));
  if (mode !== undefined && setidMode(mode)) return `chmod ${mode} makes a set-id program: root for whoever runs it`;
  return privilegeWrite(args.filter((a) => a !== mode), "chmod");
});
add("privilege-write", ["chown", "chgrp"], (args, t) => privilegeWrite(args, t));

/** cat only reads; it is an escape when it reads secrets root keeps (shadow, keys) to the caller. */
function catEscape(args: readonly string[]): string | undefined {
  for (const a of args) {
    if (!a.startsWith("/")) continue;
    const n = posix.normalize(a);
    if (/^\/etc\/(shadow|gshadow)|^\/root\/|\/\.ssh\/id_|^\/etc\/ssh\/ssh_host_.*_key$|^\/etc\/sudoers/.test(n)) return `cat ${n} reads a secret root keeps`;
  }
  return undefined;
}

/** ESCAPE_TOOLS: every tool this table knows, with its class (for `--help` and the README). */
export const ESCAPE_TOOLS: Readonly<Record<string, EscapeClass>> = Object.fromEntries(Object.entries(DETECTORS).map(([t, d]) => [t, d.class]));

/** exe: the resolved executable; args: the arguments after the program name. */
export function findEscape(exe: string, args: readonly string[]): Escape | undefined {
  const tool = toolOf(exe);
  const d = DETECTORS[tool];
  if (!d) return undefined;
  const reason = d.detect(args, tool);
  return reason === undefined ? undefined : { class: d.class, reason };
}
