// The built-in behaviour rules, as data: each has an id, a category, a default severity, a
// description, the event kinds (and optionally the tools) it applies to, and a matcher over the
// event's meaning (Facts). A matcher returns the hits it finds, each a one-line summary.
import { posix } from "node:path";
import { baseName, hostMatches, shellCommands, unwrapCommand } from "./argv.js";
import { envHits, FAMILY_RULES, HIJACK_VARS } from "./families.js";
import { CONTAINER_RULES } from "./container.js";
import { credClasses, notAllowed, PROTECTED_PROCS, PROTECTED_SERVICES, readHits, TMP_DIRS, writeHits, type BehaviorRule, type Hit, type RuleContext } from "./hits.js";
import { interpreterCode, scriptFindings, shellFindings, stringLiterals } from "./code.js";
import { INTERPRETERS, NET_TOOLS, RAW_NET_TOOLS, SHELLS, destAllowed, innerFacts, type Facts } from "./facts.js";
import { PATH_CLASSES } from "./paths.js";

export type { Hit, BehaviorRule, RuleContext } from "./hits.js";

const CONTENT_READERS = ["cat", "tac", "less", "more", "head", "tail", "cp", "mv", "scp", "rsync", "tar", "zip", "gzip", "bzip2", "xz", "7z", "base64", "base32", "xxd", "od", "hexdump", "strings", "grep", "egrep", "rg", "awk", "sed", "dd", "openssl", "gpg", "curl", "wget", "nc", "ncat", "socat", "vi", "vim", "nano", "emacs", "python3", "perl", "ruby", "node", "jq", "sqlite3", "split", "zstd", "paste", "nl", "sort", "uniq", "cut", "tr"];
const WRITERS_ALL = ["tee", "rm", "shred", "truncate", "unlink", "touch", "chattr", "chmod", "chown"];
const WRITERS_LAST = ["cp", "mv", "install", "ln", "rsync", "scp"];
const WEB_SERVERS = new Set(["nginx", "apache2", "httpd", "php-fpm", "lighttpd", "caddy", "uwsgi", "gunicorn", "tomcat", "java"]);
const RECON_TOOLS = ["whoami", "id", "uname", "hostname", "ifconfig", "ip", "ps", "netstat", "ss", "env", "printenv", "lsb_release", "getent", "w", "who", "last", "lscpu", "lsblk", "groups", "arp", "route", "hostnamectl"];
const SCAN_TOOLS = ["nmap", "masscan", "zmap", "nikto", "gobuster", "dirb", "arp-scan", "enum4linux", "linpeas.sh", "linpeas", "pspy", "pspy64", "hydra"];
/** Options of npm, pip and uv whose separate value is an index or registry URL. */
const INDEX_OPTION = /^(--index-url|--extra-index-url|-i|--registry|--find-links|-f|--index|--default-index)$/;
const SIDE_CHANNEL_TOOLS = ["perf", "rdmsr", "wrmsr", "mastik", "spectre", "meltdown", "rowhammer", "flush-reload", "cachegrab"];

/** Runs the inline code of an interpreter through the code readers and, for shell, the whole table. */
function inlineCode(f: Facts, ctx: RuleContext): Hit[] {
  if (f.depth > 3) return [];
  const ic = interpreterCode(f.tool, f.args);
  if (!ic) return [];
  const hits: Hit[] = [];
  const shell = (code: string) => {
    const cmds = shellCommands(code);
    for (const c of shellFindings(cmds, (h) => f.hostCheck.hostAllowed(h))) hits.push({ id: c.id, category: c.category, severity: c.severity, summary: `${f.tool} -c: ${c.summary}` });
    let recon = 0;
    for (const c of cmds) {
      for (const a of c.assigns) hits.push(...envHits(f, a.name, a.value, "sets"));
      if (c.argv.length > 0) {
        const inner = ctx.judgeInner(f, c.argv);
        // A wrapper (timeout, nohup, env, nice, …) runs the command that matters: judge that one too.
        const un = unwrapCommand(c.argv);
        if (un) {
          for (const a of un.assigns) hits.push(...envHits(f, a.name, a.value, `${un.wrapper} sets`));
          if (un.argv.length > 0) inner.push(...ctx.judgeInner(f, un.argv));
        }
        if (inner.some((h) => h.category === "RECON")) recon++;
        hits.push(...inner.filter((h) => h.id !== "recon.basic"));
      }
      for (const r0 of c.redirects) {
        // A relative target is a file in the working folder: judge its full path.
        const r = /^[^/~$]/.test(r0.target) && f.cwd?.startsWith("/") ? { ...r0, target: posix.resolve(f.cwd, r0.target) } : r0;
        if (r.op === "<" || r.op === "<&") hits.push(...readHits(innerFacts(f, c.argv), r.target, "reads (redirection)"));
        else if (!r.target.startsWith("/dev/")) {
          // The shell opens the file, but on behalf of the command: `: > ~/.bash_history` is not bash keeping its history.
          const writer = innerFacts(f, c.argv);
          const written = writeHits(writer, r.target, "writes (redirection)");
          hits.push(...written);
          // A loader or interpreter hook written into a start-up file hijacks every later program.
          if (written.length > 0 && c.argv.some((w) => HIJACK_VARS.test(w))) hits.push({ id: "inject.env-persist", category: "PRIV_ESC", severity: "critical", summary: `${f.tool} -c: writes ${c.argv.find((w) => HIJACK_VARS.test(w))!.slice(0, 80)} into ${r.target}` });
        }
      }
    }
    if (recon >= 3) hits.push({ id: "recon.chain", category: "RECON", severity: "warning", summary: `${f.tool} -c: ${recon} reconnaissance commands in one go` });
  };
  if (ic.lang === "shell") shell(ic.code);
  else {
    for (const s of scriptFindings(ic.lang, ic.code)) hits.push({ id: s.id, category: s.category, severity: s.severity, summary: `${f.tool}: ${s.summary}` });
    for (const lit of stringLiterals(ic.code)) {
      if (lit.startsWith("/dev/tcp/") || lit.startsWith("/dev/udp/")) hits.push({ id: "code.dev-tcp", category: "EXECUTION", severity: "critical", summary: `${f.tool}: opens ${lit}` });
      hits.push(...readHits(f, lit, "inline code names"));
      // Code that builds a shell command line: judge that command line too.
      if (/\s/.test(lit) && f.depth < 3) shell(lit);
    }
    // Code that both names a credential and talks to the network is sending it somewhere.
    const net = hits.some((h) => h.id === "code.http-send" || h.id === "code.socket" || h.id === "code.reverse-shell");
    const cred = hits.filter((h) => h.category === "CRED_ACCESS" && h.severity !== "info");
    if (net && cred.length > 0) hits.push({ id: "code.exfil-credential", category: "DATA_EXFIL", severity: "critical", summary: `${f.tool}: inline code sends data over the network and reads ${cred.map((h) => h.summary.slice(h.summary.lastIndexOf(": ") + 2)).join(", ")}` });
  }
  return hits;
}

const CORE_RULES: readonly BehaviorRule[] = [
  // ── identity and place of the executable ───────────────────────────────────────────────
  {
    id: "evasion.renamed-tool",
    category: "EVASION",
    severity: "critical",
    description: "a copy of a system tool runs under another name or from another place (its content hash says what it is)",
    kinds: ["exec", "net"],
    match: (f) => (f.renamedFrom ? { summary: `${f.exe} is a copy of ${f.renamedFrom}`, severity: NET_TOOLS.has(f.renamedFrom) || SHELLS.has(f.renamedFrom) ? "critical" : "warning" } : undefined),
  },
  {
    id: "evasion.memfd-exec",
    category: "EVASION",
    severity: "critical",
    description: "a program runs from an anonymous memory file (fileless execution)",
    kinds: ["exec", "net", "file"],
    match: (f) => (f.exe.startsWith("/memfd:") ? { summary: `runs from memory: ${f.exe}` } : undefined),
  },
  {
    id: "exec.temp-dir",
    category: "EXECUTION",
    severity: "warning",
    description: "a program runs from a world-writable temporary folder",
    kinds: ["exec"],
    match: (f) => (TMP_DIRS.some((d) => f.exe.startsWith(d)) ? { summary: `runs ${f.exe} from a temporary folder` } : undefined),
  },
  // ── network tools and their arguments ───────────────────────────────────────────────────
  {
    id: "exfil.upload",
    category: "DATA_EXFIL",
    severity: "critical",
    description: "curl/wget upload a file or data to a host that is not allowed, or upload a credential anywhere",
    kinds: ["exec"],
    tools: ["curl", "wget"],
    inner: true,
    match: (f) => {
      if (!f.upload.sends) return undefined;
      const bad = notAllowed(f);
      const creds = f.upload.files.filter((p) => credClasses(p).length > 0 || credClasses(f.cwd && !p.startsWith("/") && !p.startsWith("~") ? `${f.cwd}/${p}` : p).length > 0);
      const to = f.hosts.join(", ") || "?";
      if (creds.length > 0) return { summary: `${f.tool} uploads ${creds.join(", ")} (a credential) to ${to}` };
      if (bad.length === 0 && f.hosts.length > 0) return undefined;
      if (f.upload.files.length > 0) return { summary: `${f.tool} uploads ${f.upload.files.join(", ")} to ${to} (not an allowed host)` };
      return { summary: `${f.tool} sends data to ${to} (not an allowed host)`, severity: "warning" };
    },
  },
  {
    id: "net.fetch-unlisted",
    category: "DATA_EXFIL",
    severity: "info",
    description: "curl/wget fetch from a host that is not allowed",
    kinds: ["exec"],
    tools: ["curl", "wget"],
    inner: true,
    match: (f) => {
      const bad = notAllowed(f);
      return !f.upload.sends && bad.length > 0 ? { summary: `${f.tool} fetches from ${bad.join(", ")} (not an allowed host)` } : undefined;
    },
  },
  {
    id: "exec.socket-shell-tool",
    category: "EXECUTION",
    severity: "critical",
    description: "netcat/socat wired to a program (-e, -c, EXEC:) — a reverse or bind shell",
    kinds: ["exec"],
    tools: ["nc", "ncat", "socat"],
    inner: true,
    match: (f) => {
      const wired = f.tool === "socat" ? f.args.some((a) => /^(EXEC|SYSTEM):/i.test(a)) : f.args.some((a) => a === "-e" || a === "-c" || a.startsWith("--exec") || a.startsWith("--sh-exec") || a.startsWith("--lua-exec") || /^-[a-z]*e$/.test(a));
      return wired ? { summary: `${f.tool} hands a socket to a program: ${f.argv.join(" ").slice(0, 200)}` } : undefined;
    },
  },
  {
    id: "net.raw-socket-tool",
    category: "DATA_EXFIL",
    severity: "warning",
    description: "netcat/socat/telnet to a host that is not allowed, or listening",
    kinds: ["exec"],
    tools: ["nc", "ncat", "socat", "telnet"],
    inner: true,
    match: (f) => {
      if (f.args.some((a) => a === "-l" || /^-[a-z]*l[a-z]*$/.test(a) || /^(TCP|TCP4|TCP6)-LISTEN:/i.test(a))) return { summary: `${f.tool} listens for connections` };
      const bad = notAllowed(f);
      return bad.length > 0 ? { summary: `${f.tool} to ${bad.join(", ")} (not an allowed host)` } : undefined;
    },
  },
  // ── code handed to interpreters ─────────────────────────────────────────────────────────
  {
    id: "exec.inline-code",
    category: "EXECUTION",
    severity: "warning",
    description: "the code passed to sh -c, python3 -c, node -e, perl -e, ruby -e, php -r does something dangerous",
    kinds: ["exec"],
    tools: [...SHELLS, ...INTERPRETERS],
    inner: true,
    match: (f, ctx) => inlineCode(f, ctx),
  },
  // ── files named on the command line ─────────────────────────────────────────────────────
  {
    id: "cred.path-in-args",
    category: "CRED_ACCESS",
    severity: "warning",
    description: "a program that outputs or sends file contents is given a credential file",
    kinds: ["exec"],
    tools: CONTENT_READERS,
    inner: true,
    match: (f) => {
      const hits: Hit[] = [];
      // cp/mv/scp/rsync read their sources; the last path is where they write.
      const read = WRITERS_LAST.includes(f.tool) ? f.argPaths.slice(0, -1) : f.argPaths;
      for (const p of read) {
        for (const h of readHits(f, p, "is given")) {
          // A network tool given a credential is sending it somewhere.
          if (NET_TOOLS.has(f.tool) && h.category === "CRED_ACCESS") hits.push({ ...h, category: "DATA_EXFIL", severity: "critical" });
          else hits.push(h);
        }
      }
      return hits;
    },
  },
  {
    id: "file.write-by-command",
    category: "PERSISTENCE",
    severity: "warning",
    description: "a command writes, moves or removes a persistence place, a credential or clawav's own defences",
    kinds: ["exec"],
    tools: [...WRITERS_ALL, ...WRITERS_LAST, "sed", "dd"],
    inner: true,
    match: (f) => {
      let targets: string[] = [];
      if (WRITERS_ALL.includes(f.tool)) targets = f.argPaths;
      else if (WRITERS_LAST.includes(f.tool)) targets = f.argPaths.slice(-1);
      else if (f.tool === "sed" && f.args.some((a) => a === "-i" || a.startsWith("-i") || a === "--in-place")) targets = f.argPaths;
      else if (f.tool === "dd") targets = f.args.filter((a) => a.startsWith("of=")).map((a) => a.slice(3));
      return targets.flatMap((p) => writeHits(f, p, "writes"));
    },
  },
  // ── privilege ───────────────────────────────────────────────────────────────────────────
  {
    id: "priv.sudo",
    category: "PRIV_ESC",
    severity: "warning",
    description: "sudo, su, pkexec or doas run by a watched process",
    kinds: ["exec"],
    tools: ["sudo", "su", "pkexec", "doas"],
    inner: true,
    match: (f) => {
      // Listing one's sudo rights is discovery of what privilege there is to take.
      if (f.tool === "sudo" && f.args.some((a) => a === "-l" || a === "--list" || a === "-ll" || /^-[a-zA-Z]*l[a-zA-Z]*$/.test(a)) && !f.args.some((a) => !a.startsWith("-"))) return { id: "recon.sudo-rights", category: "RECON", summary: `lists its sudo rights: ${f.argv.join(" ").slice(0, 200)}` };
      const nested = f.parents.slice(0, 3).some((p) => ["sudo", "su", "pkexec", "doas"].includes(baseName(p)));
      return { summary: `${f.argv.join(" ").slice(0, 200)}${nested ? " (inside another privilege change)" : ""}` };
    },
  },
  {
    id: "priv.setuid-bit",
    category: "PRIV_ESC",
    severity: "critical",
    description: "a setuid/setgid bit or file capabilities are set",
    kinds: ["exec"],
    tools: ["chmod", "setcap"],
    inner: true,
    match: (f) => {
      if (f.tool === "setcap") return f.args.some((a) => a === "-r") ? undefined : { summary: `setcap ${f.args.join(" ").slice(0, 200)}` };
      const mode = f.args.find((a) => !a.startsWith("-") || /^-[rwxst]/.test(a));
      if (mode && (/^[ugoa]*[+=][rwxXt]*s/.test(mode) || /^0?[2-7][0-7]{3}$/.test(mode))) return { summary: `chmod ${mode} ${f.argPaths.join(" ")}` };
      return undefined;
    },
  },
  {
    id: "priv.setuid-root",
    category: "PRIV_ESC",
    severity: "critical",
    description: "a non-root process becomes root (setuid family to 0) outside sudo/su",
    kinds: ["priv"],
    match: (f) => {
      const sc = f.e.syscall;
      if (!sc || !/^set(re|res)?[ug]id(32)?$/.test(sc.name) || f.uid === 0) return undefined;
      if (["sudo", "su", "pkexec", "doas", "clawsudo", "newgrp", "sg", "unix_chkpwd"].includes(f.tool)) return undefined;
      const n = sc.name.includes("res") ? 3 : sc.name.includes("re") ? 2 : 1;
      if (!sc.args.slice(0, n).some((a) => a === "0")) return undefined;
      // A refused attempt is intent all the same.
      return sc.success === false ? { summary: `${f.tool} (uid ${f.uid}) tried ${sc.name} to root and was refused`, severity: "warning" } : { summary: `${f.tool} (uid ${f.uid}) calls ${sc.name} to root` };
    },
  },
  {
    id: "priv.capset",
    category: "PRIV_ESC",
    severity: "warning",
    description: "a non-root process changes its capabilities",
    kinds: ["priv"],
    match: (f) => (f.e.syscall?.name === "capset" && f.uid !== 0 && f.e.syscall.success !== false ? { summary: `${f.tool} (uid ${f.uid}) calls capset` } : undefined),
  },
  // ── tampering with the defences ────────────────────────────────────────────────────────
  {
    id: "tamper.command",
    category: "SEC_TAMPER",
    severity: "critical",
    description: "audit rules deleted or auditing disabled, auditd/clawav stopped or killed, firewall flushed or disabled, SELinux/AppArmor turned off",
    kinds: ["exec"],
    tools: ["auditctl", "systemctl", "service", "kill", "pkill", "killall", "iptables", "ip6tables", "iptables-legacy", "iptables-nft", "nft", "ufw", "setenforce", "aa-teardown", "aa-disable", "apparmor_parser", "augenrules"],
    inner: true,
    match: (f) => {
      const a = f.args;
      const why = ((): string | undefined => {
        switch (f.tool) {
          case "auditctl":
            if (a.includes("-D")) return "deletes every audit rule";
            for (let i = 0; i < a.length; i++) if ((a[i] === "-e" && a[i + 1] === "0") || a[i] === "-e0") return "disables auditing";
            if (a.some((x) => x === "-d" || x === "-W")) return "removes audit rules";
            return undefined;
          case "systemctl":
          case "service": {
            const verb = a.find((x) => ["stop", "disable", "mask", "kill", "restart", "reload"].includes(x));
            const unit = a.find((x) => PROTECTED_SERVICES.test(x));
            return verb && unit && verb !== "reload" && verb !== "restart" ? `${verb} ${unit}` : undefined;
          }
          case "kill":
            return undefined; // pids only; the target is unknown here
          case "pkill":
          case "killall":
            return a.some((x) => PROTECTED_PROCS.test(x)) ? `kills ${a.filter((x) => PROTECTED_PROCS.test(x)).join(", ")}` : undefined;
          case "nft":
            return a.includes("flush") || (a.includes("delete") && a.includes("table")) ? `nft ${a.join(" ")}` : undefined;
          case "ufw":
            return a.includes("disable") || a.includes("reset") ? `ufw ${a.join(" ")}` : undefined;
          case "setenforce":
            return a[0] === "0" || a[0]?.toLowerCase() === "permissive" ? "turns SELinux enforcement off" : undefined;
          case "aa-teardown":
            return "unloads every AppArmor profile";
          case "aa-disable":
            return "disables an AppArmor profile";
          case "apparmor_parser":
            return a.some((x) => x === "-R" || x === "--remove") ? "removes an AppArmor profile" : undefined;
          case "augenrules":
            return undefined;
          default: // iptables family
            if (a.some((x) => x === "-F" || x === "--flush" || x === "-X" || x === "--delete-chain")) return "flushes firewall rules";
            for (let i = 0; i < a.length; i++) if ((a[i] === "-P" || a[i] === "--policy") && a[i + 2] === "ACCEPT") return `sets the ${a[i + 1]} policy to ACCEPT`;
            return undefined;
        }
      })();
      return why ? { summary: `${f.tool}: ${why}` } : undefined;
    },
  },
  {
    id: "tamper.module",
    category: "SEC_TAMPER",
    severity: "critical",
    description: "a kernel module is loaded or removed (by a process that is not root: an attempt to gain the kernel)",
    kinds: ["module", "exec"],
    inner: true,
    match: (f) => {
      // Loading a module is the kernel itself; an unprivileged attempt is privilege escalation.
      const cat = f.uid !== undefined && f.uid !== 0 ? "PRIV_ESC" : "SEC_TAMPER";
      if (f.e.kind === "module") {
        const name = f.e.syscall?.name ?? "module";
        if (f.e.syscall?.success === false) return { summary: `${f.tool} tried ${name} and was refused`, category: cat, severity: "warning" };
        return { summary: `${f.tool} calls ${name}`, severity: name === "delete_module" ? "warning" : "critical" };
      }
      if (f.tool === "rmmod") return f.args.length > 0 ? { summary: `rmmod ${f.args.join(" ")}`, category: cat, severity: "warning" } : undefined;
      if (f.tool === "insmod" || ((f.tool === "modprobe" || f.tool === "kmod") && !f.args.some((x) => x === "-r" || x === "--remove" || x === "-n" || x === "--dry-run" || x === "-c" || x === "--show-depends"))) return f.args.length > 0 ? { summary: `${f.tool} ${f.args.join(" ")}`, category: cat } : undefined;
      return undefined;
    },
  },
  // ── mounts, tracing, memory files, perf ─────────────────────────────────────────────────
  {
    id: "priv.mount",
    category: "PRIV_ESC",
    severity: "warning",
    description: "a watched process mounts or pivots file systems",
    kinds: ["mount"],
    match: (f) => ({ summary: `${f.tool} calls ${f.e.syscall?.name ?? "mount"}${f.e.syscall?.success === false ? " (refused)" : ""}` }),
  },
  {
    id: "priv.ptrace",
    category: "PRIV_ESC",
    severity: "warning",
    description: "a process attaches to, or reads or writes the memory of, another process",
    kinds: ["ptrace"],
    match: (f) => {
      const sc = f.e.syscall;
      if (!sc) return undefined;
      if (sc.name === "ptrace") {
        const req = parseInt(sc.args[0] ?? "", 16);
        // PTRACE_ATTACH (0x10), PTRACE_SEIZE (0x4206), PTRACE_POKETEXT/POKEDATA (4, 5)
        if (![0x10, 0x4206, 4, 5].includes(req)) return undefined;
        const refused = sc.success === false ? " (refused)" : "";
        return { summary: `${f.tool} ptrace request 0x${req.toString(16)} on pid ${parseInt(sc.args[1] ?? "0", 16)}${refused}`, severity: ["gdb", "strace", "ltrace"].includes(f.tool) && !refused ? "info" : "warning" };
      }
      return { summary: `${f.tool} calls ${sc.name}`, severity: sc.name === "process_vm_writev" ? "critical" : "warning" };
    },
  },
  {
    id: "evasion.memfd-create",
    category: "EVASION",
    severity: "info",
    description: "an anonymous memory file is created (a step toward fileless execution)",
    kinds: ["memfd"],
    match: (f) => ({ summary: `${f.tool} calls ${f.e.syscall?.name ?? "memfd_create"}` }),
  },
  {
    id: "sidechan.perf-open",
    category: "SIDE_CHAN",
    severity: "warning",
    description: "a non-root process opens hardware performance counters",
    kinds: ["perf"],
    match: (f) => (f.uid !== 0 && f.e.syscall?.success !== false ? { summary: `${f.tool} (uid ${f.uid}) calls perf_event_open` } : undefined),
  },
  {
    id: "sidechan.tool",
    category: "SIDE_CHAN",
    severity: "warning",
    description: "a known side-channel or counter tool runs",
    kinds: ["exec"],
    tools: SIDE_CHANNEL_TOOLS,
    inner: true,
    match: (f) => ({ summary: `${f.argv.join(" ").slice(0, 200)}` }),
  },
  // ── reconnaissance ──────────────────────────────────────────────────────────────────────
  {
    id: "recon.basic",
    category: "RECON",
    severity: "info",
    description: "who am I / where am I commands (info; three or more in one piece of code is a warning)",
    kinds: ["exec"],
    tools: RECON_TOOLS,
    inner: true,
    match: (f) => ({ summary: `${f.argv.join(" ").slice(0, 200)}` }),
  },
  {
    id: "recon.scanner",
    category: "RECON",
    severity: "warning",
    description: "a network or privilege-escalation scanner runs",
    kinds: ["exec"],
    tools: SCAN_TOOLS,
    inner: true,
    match: (f) => ({ summary: `${f.argv.join(" ").slice(0, 200)}` }),
  },
  // ── persistence by command ──────────────────────────────────────────────────────────────
  {
    id: "persistence.schedule",
    category: "PERSISTENCE",
    severity: "warning",
    description: "a crontab is installed, or a service or timer enabled",
    kinds: ["exec"],
    tools: ["crontab", "systemctl", "at", "batch", "systemd-run"],
    inner: true,
    match: (f) => {
      if (f.tool === "crontab") return f.args.some((a) => a === "-l") ? undefined : { summary: `crontab ${f.args.join(" ")}` };
      if (f.tool === "at") return f.args.some((a) => a === "-l" || a === "-r" || a === "-d" || a === "-c") ? undefined : { summary: `at ${f.args.join(" ")}: a job scheduled for later` };
      if (f.tool === "batch") return { summary: "batch: a job scheduled for later" };
      if (f.tool === "systemd-run") return f.args.some((a) => a.startsWith("--on-") || a === "--user" || a.startsWith("--timer")) ? { summary: `systemd-run ${f.args.join(" ").slice(0, 160)}` } : undefined;
      return f.args.includes("enable") || f.args.includes("link") ? { summary: `systemctl ${f.args.join(" ")}` } : undefined;
    },
  },
  // ── supply chain ────────────────────────────────────────────────────────────────────────
  {
    id: "supply.install-url",
    category: "SUPPLY_CHAIN",
    severity: "warning",
    description: "a package installed straight from a URL or git repository, or from an index that is not allowed",
    kinds: ["exec"],
    tools: ["npm", "pnpm", "yarn", "bun", "pip", "pip3", "python3", "node", "pipx", "uv"],
    inner: true,
    match: (f) => {
      let args = f.args;
      // npm runs as node …/npm-cli.js; pip as python3 -m pip.
      if (f.tool === "node") {
        const i = args.findIndex((a) => /(^|\/)(npm|pnpm|yarn)(-cli)?(\.c?js)?$/.test(a));
        if (i < 0) return undefined;
        args = args.slice(i + 1);
      } else if (f.tool === "python3") {
        const i = args.findIndex((a, j) => a === "-m" && args[j + 1] === "pip");
        if (i < 0) return undefined;
        args = args.slice(i + 2);
      }
      if (!args.some((a) => ["install", "i", "add", "ci"].includes(a))) return undefined;
      // The value of an index option is where packages come from, not a package: judged by its host below.
      const remote = args.filter((a, i) => !INDEX_OPTION.test(args[i - 1] ?? "") && (/^(git\+|git:\/\/|github:|gitlab:|bitbucket:|https?:\/\/)/.test(a) || /^[\w.-]+\/[\w.-]+#/.test(a)));
      if (remote.length > 0) return { summary: `installs from ${remote.join(", ")}` };
      for (let i = 0; i < args.length; i++) {
        const m = /^(--index-url|--extra-index-url|-i|--registry|--find-links|-f)(?:=(.*))?$/.exec(args[i]!);
        if (!m) continue;
        const v = m[2] ?? args[i + 1] ?? "";
        let host: string;
        try {
          host = new URL(v).hostname;
        } catch {
          continue;
        }
        if (!f.hostCheck.hostAllowed(host)) return { summary: `installs from the index ${v} (not an allowed host)` };
      }
      return undefined;
    },
  },
  {
    id: "supply.install-script-net",
    category: "SUPPLY_CHAIN",
    severity: "warning",
    description: "a network tool started by a shell under a package manager (an install script) to a host that is not allowed",
    kinds: ["exec"],
    tools: ["curl", "wget", "nc", "ncat", "socat"],
    match: (f) => {
      const [p0, p1] = f.parents;
      if (!p0 || !p1 || !SHELLS.has(baseName(p0)) || !["node", "npm", "pip", "pip3", "python3", "yarn", "pnpm"].includes(baseName(p1).replace(/\d+(\.\d+)?$/, ""))) return undefined;
      const bad = notAllowed(f);
      return bad.length > 0 ? { summary: `${f.tool} to ${bad.join(", ")} started by ${baseName(p1)} via ${baseName(p0)}` } : undefined;
    },
  },
  // ── lineage ─────────────────────────────────────────────────────────────────────────────
  {
    id: "exec.webshell",
    category: "EXECUTION",
    severity: "critical",
    description: "a shell spawned by a web server",
    kinds: ["exec"],
    tools: [...SHELLS],
    match: (f) => {
      const p = f.parents[0];
      return p && WEB_SERVERS.has(baseName(p)) ? { summary: `${f.tool} spawned by ${p}` } : undefined;
    },
  },
  // ── files touched (PATH records of file events) ─────────────────────────────────────────
  {
    id: "file.access",
    category: "CRED_ACCESS",
    severity: "warning",
    description: "a credential, persistence place or defence file is read or written (per-class severity: see paths.ts)",
    kinds: ["file"],
    match: (f) => f.paths.flatMap((p) => (f.write ? writeHits(f, p, "writes") : readHits(f, p, "reads"))),
  },
  {
    id: "priv.setuid-chmod",
    category: "PRIV_ESC",
    severity: "critical",
    description: "chmod syscall sets a setuid or setgid bit",
    kinds: ["file"],
    match: (f) => {
      const sc = f.e.syscall;
      if (!sc || sc.success === false) return undefined;
      const modeArg = sc.name === "chmod" || sc.name === "fchmod" ? sc.args[1] : sc.name === "fchmodat" || sc.name === "fchmodat2" ? sc.args[2] : undefined;
      if (modeArg === undefined) return undefined;
      const mode = parseInt(modeArg, 16);
      return (mode & 0o6000) !== 0 ? { summary: `${f.tool} sets mode 0${mode.toString(8)} on ${f.paths.join(", ")}` } : undefined;
    },
  },
  // ── connects (SOCKADDR of connect) ──────────────────────────────────────────────────────
  {
    id: "net.shell-connect",
    category: "EXECUTION",
    severity: "critical",
    description: "a shell itself opens an internet connection (bash /dev/tcp): a reverse shell",
    kinds: ["net"],
    tools: [...SHELLS, "awk"],
    match: (f) => (isInetConnect(f) ? { summary: `${f.tool} connects to ${dest(f)}` } : undefined),
  },
  {
    id: "net.tool-connect",
    category: "DATA_EXFIL",
    severity: "warning",
    description: "a network tool connects to an address that is not allowed",
    kinds: ["net"],
    tools: [...NET_TOOLS],
    match: (f) => {
      if (!isInetConnect(f) || destAllowed(f)) return undefined;
      // curl naming only allowed hosts, without flags that point a name elsewhere, is ordinary work
      // whose addresses the resolver did not know; a name alone never excuses a raw socket tool.
      const redirected = f.args.some((a) => /^--(resolve|connect-to|proxy|preproxy|socks)/.test(a) || a === "-x");
      const named = !RAW_NET_TOOLS.has(f.tool) && f.hosts.length > 0 && f.hosts.every((h) => f.hostCheck.hostAllowed(h)) && !redirected;
      return { summary: `${f.tool} connects to ${dest(f)} (not an allowed address${named ? `; named ${f.hosts.join(", ")}` : ""})`, severity: named ? "info" : "warning" };
    },
  },
  {
    id: "net.inline-code-connect",
    category: "DATA_EXFIL",
    severity: "warning",
    description: "an interpreter running inline code (-c/-e) connects to an address that is not allowed",
    kinds: ["net"],
    tools: ["python3", "perl", "ruby", "php", "node"],
    // The argv of a connect comes from PROCTITLE (truncated to 128 bytes, sometimes a wrapper's), so
    // an inline-code flag anywhere in it counts.
    match: (f) => (isInetConnect(f) && !destAllowed(f) && (interpreterCode(f.tool, f.args) || f.args.some((a) => ["-c", "-e", "-E", "-r", "--eval"].includes(a))) ? { summary: `${f.tool} inline code connects to ${dest(f)}` } : undefined),
  },
];

export const BEHAVIOR_RULES: readonly BehaviorRule[] = [...CORE_RULES, ...FAMILY_RULES, ...CONTAINER_RULES];

function isInetConnect(f: Facts): boolean {
  const n = f.e.net;
  const sc = f.e.syscall?.name;
  return !!n && (n.family === "inet" || n.family === "inet6") && n.address !== undefined && (sc === undefined || sc === "connect" || sc === "sendto" || sc === "sendmsg");
}

function dest(f: Facts): string {
  const n = f.e.net!;
  return n.family === "inet6" ? `[${n.address}]:${n.port ?? "?"}` : `${n.address}:${n.port ?? "?"}`;
}

export { PATH_CLASSES, hostMatches };
