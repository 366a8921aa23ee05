// The machine around the agent: firewall, audit, SSH, sudoers, PATH, set-id programs, the
// preload list, updates, container engines' sockets.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fail, pass, some, unknown, type Check } from "../check.js";
import type { ScanContext } from "../context.js";

/** Whether a path is root's and writable by nobody else (group or other). */
function rootOnly(ctx: ScanContext, p: string): string | undefined {
  const st = ctx.stat(p);
  if (!st) return undefined;
  if (st.uid !== 0) return `${p} is owned by uid ${st.uid}`;
  if ((st.mode & 0o022) !== 0) return `${p} is writable by ${st.mode & 0o002 ? "everyone" : "its group"} (mode ${(st.mode & 0o7777).toString(8)})`;
  return undefined;
}

function sshdOption(ctx: ScanContext, name: string): string | undefined {
  const files = [ctx.read("/etc/ssh/sshd_config") ?? "", ...ctx.list("/etc/ssh/sshd_config.d").filter((f) => f.endsWith(".conf")).map((f) => ctx.read(`/etc/ssh/sshd_config.d/${f}`) ?? "")];
  // sshd keeps the first value it reads; the Include of sshd_config.d comes first on Debian.
  const ordered = files.length > 1 ? [...files.slice(1), files[0]!] : files;
  for (const text of ordered)
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (/^match\s/i.test(line)) break;
      const m = /^(\S+)\s+(.+)$/.exec(line);
      if (m && m[1]!.toLowerCase() === name.toLowerCase()) return m[2]!.trim();
    }
  return undefined;
}

/** sudoers lines (main file and includes), with their file, without comments and continuations. */
function sudoersLines(ctx: ScanContext): { file: string; line: string }[] {
  const out: { file: string; line: string }[] = [];
  const files = ["/etc/sudoers", ...ctx.list("/etc/sudoers.d").filter((f) => !f.includes(".") && !f.endsWith("~")).map((f) => `/etc/sudoers.d/${f}`)];
  for (const file of files) {
    const text = (ctx.read(file) ?? "").replace(/\\\n/g, " ");
    for (const raw of text.split("\n")) {
      const line = raw.replace(/(^|\s)#(?!include).*$/, "").trim();
      if (line) out.push({ file, line });
    }
  }
  return out;
}

const SUID_DIRS = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin", "/usr/lib", "/usr/libexec"];

/** Set-id files under the system folders (two levels deep under /usr/lib), with a hash of each. */
export function setIdFiles(ctx: ScanContext): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (dir: string, depth: number) => {
    for (const n of ctx.list(dir)) {
      const p = `${dir}/${n}`;
      const st = ctx.lstat(p);
      if (!st) continue;
      if (st.isDirectory() && depth > 0) visit(p, depth - 1);
      else if (st.isFile() && (st.mode & 0o6000) !== 0) {
        let h: string;
        try {
          h = createHash("sha256").update(readFileSync(ctx.path(p))).digest("hex");
        } catch {
          h = "unreadable";
        }
        out.set(p, `${(st.mode & 0o7777).toString(8)}:${st.uid}:${h}`);
      }
    }
  };
  for (const d of SUID_DIRS) if (!(d === "/bin" && ctx.lstat("/bin")?.isSymbolicLink()) && !(d === "/sbin" && ctx.lstat("/sbin")?.isSymbolicLink())) visit(d, d.startsWith("/usr/lib") ? 2 : 0);
  return out;
}

export const SYSTEM_CHECKS: Check[] = [
  {
    id: "firewall.active",
    title: "a firewall ruleset is loaded",
    severity: "critical",
    category: "SEC_TAMPER",
    remedy: "load one (nft -f /etc/nftables.conf; systemctl enable --now nftables), or let clawav's egress control put its table in ([network] egress_control = true)",
    run: (ctx) => {
      if (ctx.live) {
        const r = ctx.cmd("nft", ["list", "ruleset"]);
        if (!r) return unknown("nft is not installed: the ruleset cannot be read");
        const hooks = (r.out.match(/\bhook (input|output|forward|prerouting|postrouting)\b/g) ?? []).length;
        return hooks > 0 ? pass(`${hooks} hooked chain(s) in the nftables ruleset`) : fail("the nftables ruleset hooks no chain: nothing is filtered");
      }
      const conf = ctx.read("/etc/nftables.conf");
      if (conf === undefined) return fail("/etc/nftables.conf is missing: no ruleset is loaded at boot");
      return /\bhook (input|output|forward)\b/.test(conf) ? pass("/etc/nftables.conf hooks chains") : fail("/etc/nftables.conf hooks no chain");
    },
  },
  {
    id: "firewall.agent-egress",
    title: "outbound traffic of the agents is denied by default",
    severity: "warning",
    category: "DATA_EXFIL",
    remedy: "[network] egress_control = true with allowed_hosts / allowed_cidrs (clawav's nftables table drops the agents' other flows), or an output chain with policy drop",
    run: (ctx) => {
      const text = ctx.live ? ctx.cmd("nft", ["list", "ruleset"])?.out : ctx.read("/etc/nftables.conf");
      if (text === undefined) return unknown(ctx.live ? "nft is not installed" : "/etc/nftables.conf is missing");
      if (/table inet clawav\b[\s\S]*\bdrop\b/.test(text)) return pass("clawav's egress table drops the agents' flows but to allowed places");
      return /hook output[^\n]*policy drop/.test(text) ? pass("an output chain has policy drop") : fail("no output chain drops by default and clawav's egress control is off: an agent may connect anywhere");
    },
  },
  {
    id: "audit.auditd-running",
    title: "auditd runs",
    severity: "critical",
    category: "SEC_TAMPER",
    remedy: "apt-get install auditd && systemctl enable --now auditd",
    run: (ctx) => {
      const pids = ctx.list("/proc").filter((n) => /^\d+$/.test(n));
      if (pids.length === 0) return unknown("/proc holds no process to look at");
      const found = pids.find((p) => (ctx.read(`/proc/${p}/comm`) ?? "").trim() === "auditd");
      return found ? pass(`auditd is pid ${found}`) : fail("no auditd process: the kernel's audit records reach no log");
    },
  },
  {
    id: "audit.rules-loaded",
    title: "clawav's audit rules are loaded (and kept for the next boot)",
    severity: "critical",
    category: "SEC_TAMPER",
    remedy: "clawav rules install, and clawav install (layer audit-rules) for /etc/audit/rules.d/clawav.rules",
    run: (ctx) => {
      const persisted = ctx.list("/etc/audit/rules.d").some((f) => /(^|\s)-k clawav\b|key=clawav/.test(ctx.read(`/etc/audit/rules.d/${f}`) ?? ""));
      if (!ctx.live) return persisted ? pass("/etc/audit/rules.d holds clawav's rules") : fail("no rules file in /etc/audit/rules.d holds clawav's rules");
      const r = ctx.cmd("auditctl", ["-l"]);
      if (!r || r.code !== 0) return unknown("auditctl -l cannot be run (not root, or auditd is not installed)");
      const n = r.out.split("\n").filter((l) => /key=clawav$/.test(l)).length;
      if (n === 0) return fail("the kernel holds no rule keyed clawav");
      return persisted ? pass(`${n} rules keyed clawav loaded; /etc/audit/rules.d keeps them`) : fail(`${n} rules keyed clawav loaded, but none in /etc/audit/rules.d: they are gone after a reboot until clawav starts`);
    },
  },
  {
    id: "audit.immutable",
    title: "the audit configuration is locked (auditctl -e 2)",
    severity: "warning",
    category: "SEC_TAMPER",
    remedy: "clawav install --harden audit-lock (-e 2 last in /etc/audit/rules.d; rules can then change only after a reboot)",
    run: (ctx) => {
      if (ctx.live) {
        const r = ctx.cmd("auditctl", ["-s"]);
        if (!r || r.code !== 0) return unknown("auditctl -s cannot be run");
        const m = /^enabled (\d)/m.exec(r.out);
        return m?.[1] === "2" ? pass("enabled 2: locked until reboot") : fail(`enabled ${m?.[1] ?? "?"}: root (or an agent that became root) can delete the rules or switch auditing off`);
      }
      const locked = ctx.list("/etc/audit/rules.d").some((f) => /^\s*-e\s+2\b/m.test(ctx.read(`/etc/audit/rules.d/${f}`) ?? ""));
      return locked ? pass("-e 2 in /etc/audit/rules.d") : fail("no -e 2 in /etc/audit/rules.d");
    },
  },
  {
    id: "audit.log-private",
    title: "the audit log is not readable by others",
    severity: "warning",
    category: "RECON",
    remedy: "chmod 0750 /var/log/audit && chmod 0640 /var/log/audit/audit.log (log_group in auditd.conf: adm or root)",
    run: (ctx) => {
      const st = ctx.stat("/var/log/audit");
      if (!st) return unknown("/var/log/audit is missing");
      return (st.mode & 0o007) === 0 ? pass(`/var/log/audit mode ${(st.mode & 0o777).toString(8)}`) : fail(`/var/log/audit mode ${(st.mode & 0o777).toString(8)}: others may read what clawav saw`);
    },
  },
  {
    id: "ssh.root-login",
    title: "sshd refuses password logins as root",
    severity: "critical",
    category: "PRIV_ESC",
    remedy: "PermitRootLogin prohibit-password (or no) in /etc/ssh/sshd_config, then systemctl reload ssh",
    run: (ctx) => {
      if (!ctx.exists("/etc/ssh/sshd_config")) return pass("no sshd_config: sshd is not installed");
      const v = (sshdOption(ctx, "PermitRootLogin") ?? "prohibit-password").toLowerCase();
      return v === "yes" ? fail("PermitRootLogin yes") : pass(`PermitRootLogin ${v}`);
    },
  },
  {
    id: "ssh.password-auth",
    title: "sshd refuses password authentication",
    severity: "warning",
    category: "CRED_ACCESS",
    remedy: "PasswordAuthentication no in /etc/ssh/sshd_config (keys only), then systemctl reload ssh",
    run: (ctx) => {
      if (!ctx.exists("/etc/ssh/sshd_config")) return pass("no sshd_config: sshd is not installed");
      const v = (sshdOption(ctx, "PasswordAuthentication") ?? "yes").toLowerCase();
      return v === "no" ? pass("PasswordAuthentication no") : fail(`PasswordAuthentication ${v}`);
    },
  },
  {
    id: "sudo.nopasswd-agents",
    title: "no agent may run commands as root without a password (but through clawsudo)",
    severity: "critical",
    category: "PRIV_ESC",
    remedy: "remove NOPASSWD entries for the agents from /etc/sudoers and /etc/sudoers.d; give them clawsudo (clawav sudoers --agent USER)",
    run: (ctx) => {
      const names = new Set(ctx.agents.map((a) => a.name));
      const groups = new Set(ctx.agents.flatMap((a) => groupsOf(ctx, a.name)));
      const bad = sudoersLines(ctx).filter(({ line }) => {
        if (!/NOPASSWD/.test(line) || /^(Defaults|Cmnd_Alias|User_Alias|Host_Alias|Runas_Alias)\b/.test(line)) return false;
        const who = line.split(/\s+/)[0]!;
        const hit = names.has(who) || (who.startsWith("%") && groups.has(who.slice(1)));
        return hit && !/CLAWSUDO_|clawsudo\.js/.test(line);
      });
      return bad.length === 0 ? pass(`no NOPASSWD entry for ${ctx.agents.length} agent user(s) beyond clawsudo`) : fail(some(bad.map((b) => `${b.file}: ${b.line}`), 3));
    },
  },
  {
    id: "sudo.includes-writable",
    title: "sudoers and its includes are root's and writable by nobody else",
    severity: "critical",
    category: "PRIV_ESC",
    remedy: "chown root:root /etc/sudoers /etc/sudoers.d /etc/sudoers.d/*; chmod 0440 the files, 0750 the folder",
    run: (ctx) => {
      if (!ctx.exists("/etc/sudoers")) return pass("sudo is not installed");
      const paths = ["/etc/sudoers", "/etc/sudoers.d", ...ctx.list("/etc/sudoers.d").map((f) => `/etc/sudoers.d/${f}`)];
      const bad = paths.map((p) => rootOnly(ctx, p)).filter((x): x is string => x !== undefined);
      return bad.length === 0 ? pass(`${paths.length} paths root's and not writable by others`) : fail(some(bad, 3));
    },
  },
  {
    id: "path.writable",
    title: "no folder of the system PATH is writable by anyone but root",
    severity: "critical",
    category: "PERSISTENCE",
    remedy: "chown root:root and chmod go-w each folder named",
    run: (ctx) => {
      const dirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
      const bad = dirs.filter((d) => ctx.exists(d)).map((d) => rootOnly(ctx, d)).filter((x): x is string => x !== undefined);
      return bad.length === 0 ? pass(`${dirs.length} PATH folders are root's and not writable by others`) : fail(some(bad));
    },
  },
  {
    id: "setid.changed",
    title: "the set-uid and set-gid programs are those of the baseline",
    severity: "critical",
    category: "PRIV_ESC",
    remedy: "find out who added or changed each one named (dpkg -S, debsums); the baseline is taken again by clawav scan --rebaseline",
    run: (ctx) => {
      const base = ctx.read(baselinePath(ctx));
      const now = setIdFiles(ctx);
      if (base === undefined) return pass(`no baseline yet: ${now.size} set-id programs recorded as the baseline`);
      let before: Record<string, string>;
      try {
        before = JSON.parse(base) as Record<string, string>;
      } catch {
        return unknown(`${baselinePath(ctx)} is not JSON: take a new one with clawav scan --rebaseline`);
      }
      const changed = [...now].filter(([p, v]) => before[p] !== v).map(([p]) => (before[p] === undefined ? `new ${p}` : `changed ${p}`));
      const gone = Object.keys(before).filter((p) => !now.has(p)).map((p) => `gone ${p}`);
      const all = [...changed, ...gone];
      return all.length === 0 ? pass(`${now.size} set-id programs, as in the baseline`) : fail(some(all));
    },
  },
  {
    id: "setid.in-writable",
    title: "no set-id program sits where users write (/tmp, /var/tmp, /dev/shm, /home)",
    severity: "critical",
    category: "PRIV_ESC",
    remedy: "remove the file, and find out how it got its set-id bit",
    run: (ctx) => {
      const found: string[] = [];
      const visit = (dir: string, depth: number) => {
        for (const n of ctx.list(dir)) {
          const p = `${dir}/${n}`;
          const st = ctx.lstat(p);
          if (!st) continue;
          if (st.isDirectory() && depth > 0) visit(p, depth - 1);
          else if (st.isFile() && (st.mode & 0o6000) !== 0) found.push(p);
        }
      };
      for (const d of ["/tmp", "/var/tmp", "/dev/shm", "/home"]) visit(d, 3);
      return found.length === 0 ? pass("none found (three levels deep)") : fail(some(found));
    },
  },
  {
    id: "preload.ld-so-preload",
    title: "/etc/ld.so.preload loads nothing into every program",
    severity: "critical",
    category: "PERSISTENCE",
    remedy: "empty or remove /etc/ld.so.preload unless you put each line there (agents run under clawav's guard with clawav exec, not through this file)",
    run: (ctx) => {
      const text = ctx.read("/etc/ld.so.preload");
      if (text === undefined) return pass("/etc/ld.so.preload is absent");
      const libs = text
        .split("\n")
        .map((l) => l.replace(/#.*$/, ""))
        .flatMap((l) => l.split(/[\s:]+/))
        .filter(Boolean);
      return libs.length === 0 ? pass("/etc/ld.so.preload is empty") : fail(`every program loads ${some(libs)}`);
    },
  },
  {
    id: "updates.security",
    title: "no security update is waiting",
    severity: "warning",
    category: "PRIV_ESC",
    remedy: "apt-get update && apt-get upgrade (or unattended-upgrades)",
    run: (ctx) => {
      if (!ctx.live) return unknown("needs the live machine's package manager (not with --root)");
      const r = ctx.cmd("apt-get", ["-s", "-o", "Debug::NoLocking=1", "upgrade"]);
      if (!r || r.code !== 0) return unknown("apt-get -s upgrade cannot be run (not Debian?)");
      const sec = r.out.split("\n").filter((l) => l.startsWith("Inst ") && /security/i.test(l));
      return sec.length === 0 ? pass("no pending upgrade from a security suite (as of the last apt-get update)") : fail(`${sec.length} pending: ${some(sec.map((l) => l.split(" ")[1]!))}`);
    },
  },
  {
    id: "container.engine-sockets",
    title: "the agents cannot reach a container engine's socket (root without sudo)",
    severity: "critical",
    category: "PRIV_ESC",
    remedy: "take the agents out of the docker group; keep docker.sock and podman.sock root:root 0660 or tighter",
    run: (ctx) => {
      const socks = ["/run/docker.sock", "/var/run/docker.sock", "/run/podman/podman.sock", "/run/containerd/containerd.sock"].filter((p) => ctx.lstat(p)?.isSocket());
      if (socks.length === 0) return pass("no container engine socket");
      const bad: string[] = [];
      for (const s of socks) {
        const st = ctx.stat(s)!;
        if ((st.mode & 0o006) !== 0) bad.push(`${s} is open to everyone (mode ${(st.mode & 0o777).toString(8)})`);
        for (const a of ctx.agents) if ((st.mode & 0o060) !== 0 && (a.gid === st.gid || groupIds(ctx, a.name).includes(st.gid))) bad.push(`${a.name} is in ${s}'s group`);
        for (const a of ctx.agents) if (st.uid === a.uid) bad.push(`${s} is ${a.name}'s`);
      }
      return bad.length === 0 ? pass(`${some(socks)}: not reachable by the agents`) : fail(some(bad));
    },
  },
];

/** Where the set-id baseline lives: in clawav's state folder. */
export function baselinePath(ctx: ScanContext): string {
  return `${ctx.config.general.state_dir}/scan-setid-baseline.json`;
}

function groupRows(ctx: ScanContext): { name: string; gid: number; members: string[] }[] {
  return (ctx.read("/etc/group") ?? "")
    .split("\n")
    .map((l) => l.split(":"))
    .filter((f) => f.length >= 4)
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(",").filter(Boolean) }));
}

export function groupsOf(ctx: ScanContext, user: string): string[] {
  return groupRows(ctx)
    .filter((g) => g.members.includes(user))
    .map((g) => g.name);
}

function groupIds(ctx: ScanContext, user: string): number[] {
  return groupRows(ctx)
    .filter((g) => g.members.includes(user))
    .map((g) => g.gid);
}
