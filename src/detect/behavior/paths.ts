// Which files matter, as data: credential stores, places that give persistence, and clawav's own
// defences. Patterns are globs over absolute paths (a leading `~` from shell code counts as a home).
import type { Category, Severity } from "../../events/index.js";
import { compileGlob, type Glob } from "../policy/glob.js";

export interface PathClass {
  id: string;
  description: string;
  globs: string[];
  /** Not these (e.g. public keys). */
  except?: string[];
  /** Reading it: category and severity; undefined when a read is not interesting. */
  read?: { category: Category; severity: Severity };
  write?: { category: Category; severity: Severity };
  /** Tools that read it as part of their job: their reads drop to info. */
  trustedReaders?: string[];
  trustedWriters?: string[];
}

const INTERPRETERS = ["node", "python3", "ruby", "php", "bun", "deno"];

export const PATH_CLASSES: readonly PathClass[] = [
  {
    id: "ssh-private-key",
    description: "an SSH private key",
    globs: ["**/.ssh/id_*", "**/.ssh/*_key", "/etc/ssh/ssh_host_*_key"],
    except: ["**.pub"],
    read: { category: "CRED_ACCESS", severity: "critical" },
    write: { category: "CRED_ACCESS", severity: "warning" },
    trustedReaders: ["ssh", "ssh-add", "ssh-agent", "ssh-keygen", "scp", "sftp", "git", "ssh-keysign"],
    trustedWriters: ["ssh-keygen"],
  },
  {
    id: "authorized-keys",
    description: "an authorized_keys file",
    globs: ["**/.ssh/authorized_keys", "**/.ssh/authorized_keys2"],
    read: { category: "RECON", severity: "info" },
    write: { category: "PERSISTENCE", severity: "critical" },
  },
  {
    id: "shadow",
    description: "the password hashes",
    globs: ["/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/security/opasswd"],
    read: { category: "CRED_ACCESS", severity: "critical" },
    write: { category: "PRIV_ESC", severity: "critical" },
    trustedReaders: ["unix_chkpwd", "passwd", "sudo", "su", "login", "sshd"],
  },
  {
    id: "sudoers",
    description: "the sudo rules",
    globs: ["/etc/sudoers", "/etc/sudoers.d/**"],
    read: { category: "RECON", severity: "warning" },
    write: { category: "PRIV_ESC", severity: "critical" },
    trustedReaders: ["sudo", "visudo", "clawsudo"],
  },
  {
    id: "cloud-credentials",
    description: "cloud or cluster credentials",
    globs: ["**/.aws/credentials", "**/.aws/config", "**/.config/gcloud/**", "**/.azure/**", "**/.kube/config", "**/.docker/config.json", "**/.terraform.d/credentials.tfrc.json"],
    read: { category: "CRED_ACCESS", severity: "warning" },
    write: { category: "CRED_ACCESS", severity: "warning" },
    trustedReaders: ["aws", "gcloud", "kubectl", "docker", "terraform", "helm", "az"],
  },
  {
    id: "netrc",
    description: "stored git or HTTP passwords",
    globs: ["**/.netrc", "**/.git-credentials", "**/.config/git/credentials", "**/.config/gh/hosts.yml", "**/.pgpass", "**/.my.cnf"],
    read: { category: "CRED_ACCESS", severity: "warning" },
    // pip (through requests) and npm look up the index host's login in ~/.netrc: their documented job.
    trustedReaders: ["git", "git-remote-http", "git-remote-https", "git-credential-store", "gh", "psql", "mysql", "pip", "npm", "twine", "poetry"],
  },
  {
    id: "package-token",
    description: "a package registry token file",
    globs: ["**/.npmrc", "**/.yarnrc.yml", "**/.yarnrc", "**/.pypirc", "**/.config/pip/pip.conf", "**/.pip/pip.conf", "/etc/pip.conf", "**/.cargo/credentials", "**/.cargo/credentials.toml", "**/.cargo/config.toml", "**/.gem/credentials", "**/.bunfig.toml"],
    read: { category: "CRED_ACCESS", severity: "warning" },
    // Whoever rewrites these can point every later install at another index.
    write: { category: "PERSISTENCE", severity: "warning" },
    trustedReaders: ["node", "npm", "yarn", "pnpm", "pip", "pip3", "python3", "twine", "cargo", "gem"],
    trustedWriters: ["npm", "yarn", "pnpm", "pip", "pip3", "twine", "cargo"],
  },
  {
    id: "dotenv",
    description: "an .env file",
    globs: ["**/.env", "**/.env.*"],
    except: ["**/.env.example", "**/.env.sample", "**/.env.template"],
    read: { category: "CRED_ACCESS", severity: "warning" },
    trustedReaders: INTERPRETERS,
  },
  {
    id: "keyring",
    description: "a keyring or password store",
    globs: ["**/.local/share/keyrings/**", "**/.gnupg/private-keys-v1.d/**", "**/.gnupg/secring.gpg", "**/.password-store/**"],
    read: { category: "CRED_ACCESS", severity: "critical" },
    trustedReaders: ["gpg", "gpg-agent", "gnome-keyring-daemon", "pass"],
  },
  {
    id: "browser-secrets",
    description: "a browser's saved logins or cookies",
    globs: ["**/.mozilla/firefox/**/logins.json", "**/.mozilla/firefox/**/key4.db", "**/.mozilla/firefox/**/cookies.sqlite", "**/.config/google-chrome/**/Login Data", "**/.config/google-chrome/**/Cookies", "**/.config/chromium/**/Login Data", "**/.config/chromium/**/Cookies", "**/.config/BraveSoftware/**/Login Data"],
    read: { category: "CRED_ACCESS", severity: "critical" },
    trustedReaders: ["firefox", "firefox-esr", "chrome", "chromium", "brave"],
  },
  {
    id: "agent-config",
    description: "an AI agent's configuration with API keys",
    globs: ["**/.openclaw/**", "**/.claude/**", "**/.claude.json", "**/.codex/**", "**/.config/openai/**", "**/.config/anthropic/**", "**/.aider*"],
    read: { category: "CRED_ACCESS", severity: "warning" },
    write: { category: "PERSISTENCE", severity: "warning" },
    // The agent itself (a node or python program) reads and writes its own configuration.
    trustedReaders: INTERPRETERS,
    trustedWriters: INTERPRETERS,
  },
  {
    id: "shell-startup",
    description: "a shell start-up file",
    globs: ["**/.bashrc", "**/.bash_profile", "**/.bash_login", "**/.profile", "**/.zshrc", "**/.zprofile", "**/.zshenv", "**/.zlogin", "**/.bash_logout", "**/.kshrc", "**/.cshrc", "**/.tcshrc", "**/.xprofile", "**/.xsessionrc", "**/.config/fish/config.fish", "**/.config/fish/conf.d/**", "**/.config/fish/functions/**", "/etc/profile", "/etc/profile.d/**", "/etc/bash.bashrc", "/etc/zsh/**"],
    write: { category: "PERSISTENCE", severity: "warning" },
  },
  {
    id: "scheduler",
    description: "a cron or systemd schedule",
    read: { category: "RECON", severity: "warning" },
    trustedReaders: ["cron", "crond", "crontab", "anacron", "systemd", "systemctl", "run-parts"],
    globs: ["/etc/crontab", "/etc/cron.*/**", "/etc/cron.*", "/var/spool/cron/**", "/etc/anacrontab", "/etc/systemd/system/**", "/usr/lib/systemd/system/**", "/lib/systemd/system/**", "/etc/systemd/user/**", "**/.config/systemd/user/**", "/etc/rc.local", "/etc/init.d/**", "**/.config/autostart/**", "/etc/xdg/autostart/**"],
    write: { category: "PERSISTENCE", severity: "warning" },
  },
  {
    id: "shell-history",
    description: "a shell or REPL history file",
    globs: ["**/.bash_history", "**/.zsh_history", "**/.sh_history", "**/.history", "**/.zhistory", "**/.local/share/fish/fish_history", "**/.python_history", "**/.node_repl_history", "**/.mysql_history", "**/.psql_history", "**/.sqlite_history", "**/.lesshst", "**/.viminfo"],
    // Histories hold typed passwords and tokens; emptying or removing one hides what was done.
    read: { category: "CRED_ACCESS", severity: "warning" },
    write: { category: "EVASION", severity: "warning" },
    trustedReaders: ["bash", "zsh", "sh", "dash", "fish", "python3", "node", "mysql", "psql", "sqlite3", "less", "vim", "vi"],
    trustedWriters: ["bash", "zsh", "sh", "dash", "fish", "python3", "node", "mysql", "psql", "sqlite3", "less", "vim", "vi"],
  },
  {
    id: "ssh-rc",
    description: "an SSH login script",
    globs: ["**/.ssh/rc", "/etc/ssh/sshrc", "**/.ssh/environment", "**/.ssh/config"],
    write: { category: "PERSISTENCE", severity: "critical" },
  },
  {
    id: "login-environment",
    description: "an environment file read at login",
    globs: ["**/.pam_environment", "**/.config/environment.d/**", "/etc/environment", "/etc/environment.d/**", "/etc/security/pam_env.conf"],
    write: { category: "PERSISTENCE", severity: "warning" },
  },
  {
    id: "git-hooks",
    description: "a git hook or git configuration",
    globs: ["**/.git/hooks/*", "**/.githooks/**", "**/.husky/*", "**/.gitconfig", "**/.config/git/config", "**/.git/config"],
    except: ["**.sample"],
    write: { category: "PERSISTENCE", severity: "warning" },
    trustedWriters: ["git", "husky"],
  },
  {
    id: "python-startup",
    description: "a Python start-up hook (usercustomize, sitecustomize, a .pth file)",
    globs: ["**/site-packages/usercustomize.py", "**/site-packages/sitecustomize.py", "**/site-packages/*.pth", "**/dist-packages/*.pth", "**/dist-packages/sitecustomize.py"],
    write: { category: "PERSISTENCE", severity: "warning" },
    trustedWriters: ["pip", "pip3", "uv", "pipx", "poetry"],
  },
  {
    id: "pam",
    description: "the PAM configuration",
    globs: ["/etc/pam.d/**", "/etc/security/**", "/lib/security/**", "/lib/x86_64-linux-gnu/security/**", "/usr/lib/x86_64-linux-gnu/security/**"],
    except: ["/etc/security/opasswd"],
    write: { category: "PRIV_ESC", severity: "critical" },
  },
  {
    id: "account-db",
    description: "the user and group database",
    globs: ["/etc/passwd", "/etc/group", "/etc/passwd-", "/etc/group-", "/etc/subuid", "/etc/subgid"],
    read: { category: "RECON", severity: "info" },
    write: { category: "PRIV_ESC", severity: "critical" },
    trustedReaders: ["id", "ls", "ps", "getent", "whoami", "sudo", "su", "login", "sshd", "bash", "sh", "git", "node", "python3", "npm", "make", "cron"],
  },
  {
    id: "password-policy",
    description: "the password policy",
    globs: ["/etc/login.defs", "/etc/security/pwquality.conf", "/etc/pam.d/common-password", "/etc/security/faillock.conf"],
    read: { category: "RECON", severity: "warning" },
    trustedReaders: ["login", "su", "sudo", "passwd", "useradd", "usermod", "chage", "unix_chkpwd", "sshd", "cron", "newgrp", "chsh", "chfn"],
  },
  {
    id: "system-info",
    description: "a system description file",
    globs: ["/etc/os-release", "/usr/lib/os-release", "/etc/issue", "/etc/hostname", "/etc/resolv.conf", "/proc/cpuinfo", "/proc/version", "/proc/net/**", "/etc/hosts", "/proc/mounts", "/etc/fstab"],
    read: { category: "RECON", severity: "info" },
  },
  {
    id: "browser-history",
    description: "a browser's history or bookmarks",
    globs: ["**/.mozilla/firefox/**/places.sqlite", "**/.config/google-chrome/**/Bookmarks", "**/.config/google-chrome/**/History", "**/.config/chromium/**/Bookmarks", "**/.config/chromium/**/History"],
    read: { category: "RECON", severity: "warning" },
    trustedReaders: ["firefox", "firefox-esr", "chrome", "chromium", "brave"],
  },
  {
    id: "process-environ",
    description: "a process's environment (its secrets)",
    globs: ["/proc/*/environ", "/proc/*/task/*/environ"],
    read: { category: "CRED_ACCESS", severity: "warning" },
    trustedReaders: ["ps", "top", "htop"],
  },
  {
    id: "process-memory",
    description: "another process's memory",
    globs: ["/proc/*/mem", "/proc/*/task/*/mem", "/dev/mem", "/dev/kmem", "/proc/kcore"],
    read: { category: "CRED_ACCESS", severity: "critical" },
    write: { category: "PRIV_ESC", severity: "critical" },
  },
  {
    id: "side-channel",
    description: "a side-channel probe (page map, CPU vulnerability state, kernel symbols)",
    globs: ["/proc/*/pagemap", "/sys/devices/system/cpu/vulnerabilities/*", "/sys/devices/system/cpu/vulnerabilities", "/proc/kallsyms", "/dev/cpu/*/msr", "/sys/kernel/mm/page_idle/bitmap"],
    read: { category: "SIDE_CHAN", severity: "warning" },
  },
  {
    id: "preload",
    description: "the dynamic loader's preload list",
    globs: ["/etc/ld.so.preload", "/etc/ld.so.conf", "/etc/ld.so.conf.d/**"],
    write: { category: "PERSISTENCE", severity: "critical" },
  },
  {
    id: "clawav",
    description: "clawav's own configuration, state or logs",
    globs: ["/etc/clawav/**", "/etc/clawav", "/var/lib/clawav/**", "/var/lib/clawav", "/var/log/clawav/**", "/var/log/clawav", "/usr/lib/clawav/**", "/usr/local/lib/clawav/**", "/opt/clawav/**", "/run/clawav/**"],
    read: { category: "SEC_TAMPER", severity: "warning" },
    write: { category: "SEC_TAMPER", severity: "critical" },
    trustedReaders: ["clawav", "clawsudo"],
  },
  {
    id: "audit-config",
    description: "the audit system's configuration or log",
    globs: ["/etc/audit/**", "/var/log/audit/**", "/etc/audisp/**", "/etc/laurel/**"],
    read: { category: "SEC_TAMPER", severity: "warning" },
    write: { category: "SEC_TAMPER", severity: "critical" },
    trustedReaders: ["auditd", "auditctl", "ausearch", "aureport", "laurel", "augenrules"],
    trustedWriters: ["auditd", "laurel"],
  },
  {
    id: "firewall",
    description: "the firewall's configuration",
    globs: ["/etc/iptables/**", "/etc/nftables.conf", "/etc/nftables.d/**", "/etc/ufw/**", "/etc/firewalld/**", "/etc/selinux/config", "/etc/apparmor.d/**"],
    write: { category: "SEC_TAMPER", severity: "critical" },
  },
];

interface CompiledClass {
  cls: PathClass;
  test: Glob;
  except?: Glob;
}

const anyGlob = (gs: string[]): Glob => {
  const c = gs.map(compileGlob);
  return (s) => c.some((g) => g(s));
};

const COMPILED: CompiledClass[] = PATH_CLASSES.map((cls) => ({ cls, test: anyGlob(cls.globs), ...(cls.except ? { except: anyGlob(cls.except) } : {}) }));

/** Every class a path belongs to (usually none or one). */
const memo = new Map<string, PathClass[]>();
const MEMO_MAX = 4096;

export function classifyPath(path: string): PathClass[] {
  // The same few hundred paths recur (sources, headers, libraries): remember their classes.
  let hit = memo.get(path);
  if (hit === undefined) {
    hit = classifyUncached(path);
    if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value!);
    memo.set(path, hit);
  }
  return hit;
}

function classifyUncached(path: string): PathClass[] {
  const p = normalizeHome(path);
  const out: PathClass[] = [];
  for (const c of COMPILED) if (c.test(p) && !c.except?.(p)) out.push(c.cls);
  return out;
}

/** `~`, `$HOME` and `${HOME}` in shell code stand for a home directory. */
export function normalizeHome(path: string): string {
  if (path.startsWith("~")) return "/~" + path.slice(1);
  if (path.startsWith("$HOME")) return "/~" + path.slice(5);
  if (path.startsWith("${HOME}")) return "/~" + path.slice(7);
  return path;
}
