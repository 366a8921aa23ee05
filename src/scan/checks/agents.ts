// The agents' own corner (their secrets, what they could start later, what they listen on) and
// clawav's own files and room to write.
import { dirname } from "node:path";
import { fail, pass, some, unknown, type Check } from "../check.js";
import type { ScanContext } from "../context.js";

const SECRETS = [".ssh/id_rsa", ".ssh/id_ed25519", ".ssh/id_ecdsa", ".aws/credentials", ".netrc", ".git-credentials", ".docker/config.json", ".kube/config", ".pgpass", ".npmrc", ".pypirc", ".config/gh/hosts.yml", ".openclaw/openclaw.json", ".openclaw/credentials"];

/** A listening TCP socket from /proc/net/tcp{,6}: local address, port and socket inode. */
export function listeningSockets(ctx: ScanContext): { addr: string; port: number; inode: string; v6: boolean }[] {
  const out: { addr: string; port: number; inode: string; v6: boolean }[] = [];
  for (const [file, v6] of [["/proc/net/tcp", false], ["/proc/net/tcp6", true]] as const) {
    for (const line of (ctx.read(file) ?? "").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A") continue; // 0A: LISTEN
      const [hex, port] = f[1]!.split(":");
      out.push({ addr: hexAddr(hex!, v6), port: parseInt(port!, 16), inode: f[9]!, v6 });
    }
  }
  return out;
}

function hexAddr(hex: string, v6: boolean): string {
  if (!v6) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join(".");
  if (/^0+$/.test(hex)) return "::";
  if (hex === "00000000000000000000000001000000") return "::1";
  if (hex.startsWith("0000000000000000FFFF0000")) return `::ffff:${hexAddr(hex.slice(24), false)}`;
  return hex.toLowerCase();
}

const loopback = (a: string) => a.startsWith("127.") || a === "::1" || a.startsWith("::ffff:127.");

/** Socket inode → the process holding it (uid, comm, pid), from /proc/PID/fd links. */
function socketOwners(ctx: ScanContext): Map<string, { pid: string; uid: number; comm: string }> {
  const m = new Map<string, { pid: string; uid: number; comm: string }>();
  for (const pid of ctx.list("/proc").filter((n) => /^\d+$/.test(n))) {
    const fds = ctx.list(`/proc/${pid}/fd`);
    if (fds.length === 0) continue;
    const status = ctx.read(`/proc/${pid}/status`) ?? "";
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const comm = (ctx.read(`/proc/${pid}/comm`) ?? "?").trim();
    for (const fd of fds) {
      const l = ctx.readlink(`/proc/${pid}/fd/${fd}`);
      const ino = l ? /^socket:\[(\d+)\]$/.exec(l)?.[1] : undefined;
      if (ino && !m.has(ino)) m.set(ino, { pid, uid, comm });
    }
  }
  return m;
}

export const AGENT_CHECKS: Check[] = [
  {
    id: "net.listening-exposed",
    title: "nothing listens on a public address but what is meant to",
    severity: "warning",
    category: "DATA_EXFIL",
    remedy: "bind each service named to 127.0.0.1, or stop it; firewall what must listen",
    run: (ctx) => {
      const socks = listeningSockets(ctx);
      if (socks.length === 0 && ctx.read("/proc/net/tcp") === undefined) return unknown("/proc/net/tcp is not readable");
      const owners = socketOwners(ctx);
      const exposed = socks.filter((s) => !loopback(s.addr)).map((s) => `${s.v6 ? `[${s.addr}]` : s.addr}:${s.port}${owners.get(s.inode) ? ` (${owners.get(s.inode)!.comm}, uid ${owners.get(s.inode)!.uid})` : ""}`);
      return exposed.length === 0 ? pass(`${socks.length} listening socket(s), all on loopback`) : fail(some([...new Set(exposed)]));
    },
  },
  {
    id: "net.listening-agent",
    title: "no agent process listens on the network",
    severity: "critical",
    category: "EXECUTION",
    remedy: "find what the agent started (the pid named) and why it listens: a bind shell or a tunnel looks like this",
    run: (ctx) => {
      const uids = new Set(ctx.agents.map((a) => a.uid));
      const owners = socketOwners(ctx);
      const bad = listeningSockets(ctx)
        .map((s) => ({ s, o: owners.get(s.inode) }))
        .filter((x) => x.o !== undefined && uids.has(x.o.uid) && !loopback(x.s.addr))
        .map((x) => `${x.o!.comm} (pid ${x.o!.pid}, uid ${x.o!.uid}) on ${x.s.addr}:${x.s.port}`);
      return bad.length === 0 ? pass(`no socket of ${ctx.agents.length} agent user(s) listens beyond loopback`) : fail(some(bad));
    },
  },
  {
    id: "agent.secret-modes",
    title: "the agents' secret files are readable by their owner only",
    severity: "critical",
    category: "CRED_ACCESS",
    remedy: "chmod 0600 each file named (and 0700 its folder)",
    run: (ctx) => {
      const bad: string[] = [];
      let seen = 0;
      for (const a of ctx.agents)
        for (const rel of SECRETS) {
          const p = `${a.home}/${rel}`;
          const st = ctx.stat(p);
          if (!st?.isFile()) continue;
          seen++;
          if ((st.mode & 0o077) !== 0) bad.push(`${p} (mode ${(st.mode & 0o777).toString(8)})`);
        }
      return bad.length === 0 ? pass(`${seen} secret file(s) of ${ctx.agents.length} agent user(s), none open to others`) : fail(some(bad));
    },
  },
  {
    id: "agent.authorized-keys",
    title: "no agent can let itself in over SSH (authorized_keys the agent may write)",
    severity: "warning",
    category: "PERSISTENCE",
    remedy: "if the agent must not be reachable over SSH, remove ~/.ssh/authorized_keys; else make it root's (chown root, chmod 0644) so the agent cannot add keys",
    run: (ctx) => {
      const bad: string[] = [];
      for (const a of ctx.agents)
        for (const f of ["authorized_keys", "authorized_keys2", "rc"]) {
          const p = `${a.home}/.ssh/${f}`;
          const st = ctx.stat(p);
          if (st && (st.uid === a.uid || (st.mode & 0o002) !== 0)) bad.push(`${p} is ${a.name}'s to change`);
        }
      return bad.length === 0 ? pass(`no agent-writable authorized_keys or ~/.ssh/rc among ${ctx.agents.length} agent user(s)`) : fail(some(bad));
    },
  },
  {
    id: "agent.crontabs",
    title: "no agent has a crontab",
    severity: "warning",
    category: "PERSISTENCE",
    remedy: "read each crontab named (crontab -l -u USER); remove what the agent added (crontab -r -u USER); deny cron to agents in /etc/cron.deny",
    run: (ctx) => {
      const found = ctx.agents.flatMap((a) => ["/var/spool/cron/crontabs", "/var/spool/cron"].filter((d) => ctx.stat(`${d}/${a.name}`)?.isFile()).map((d) => `${d}/${a.name}`));
      return found.length === 0 ? pass(`no crontab for ${ctx.agents.length} agent user(s)`) : fail(some(found));
    },
  },
  {
    id: "agent.user-units",
    title: "no agent has systemd user units, timers or autostart entries",
    severity: "warning",
    category: "PERSISTENCE",
    remedy: "read each file named and remove what the agent added (systemctl --user disable ...)",
    run: (ctx) => {
      const found: string[] = [];
      for (const a of ctx.agents)
        for (const d of [".config/systemd/user", ".local/share/systemd/user", ".config/autostart"])
          for (const f of ctx.list(`${a.home}/${d}`)) if (/\.(service|timer|socket|path|desktop)$/.test(f) || ctx.lstat(`${a.home}/${d}/${f}`)?.isDirectory()) found.push(`${a.home}/${d}/${f}`);
      return found.length === 0 ? pass(`none for ${ctx.agents.length} agent user(s)`) : fail(some(found));
    },
  },
  {
    id: "agent.in-privileged-groups",
    title: "no agent is in a group that is root in all but name",
    severity: "critical",
    category: "PRIV_ESC",
    remedy: "gpasswd -d USER GROUP for each pair named",
    run: (ctx) => {
      const strong = new Set(["sudo", "wheel", "admin", "root", "docker", "lxd", "disk", "adm", "shadow", "systemd-journal", "kvm", "libvirt"]);
      const rows = (ctx.read("/etc/group") ?? "").split("\n").map((l) => l.split(":"));
      const bad: string[] = [];
      for (const a of ctx.agents)
        for (const f of rows) {
          if (f.length < 4 || !strong.has(f[0]!)) continue;
          if (f[3]!.split(",").includes(a.name) || Number(f[2]) === a.gid) bad.push(`${a.name} in ${f[0]}`);
        }
      return bad.length === 0 ? pass(`${ctx.agents.length} agent user(s) in none of ${strong.size} such groups`) : fail(some(bad));
    },
  },
  {
    id: "clawav.files-root-owned",
    title: "clawav's program, config and state are root's and writable by nobody else",
    severity: "critical",
    category: "SEC_TAMPER",
    remedy: "reinstall with clawav install (it sets owners and modes), or chown -R root:root and chmod go-w the paths named",
    run: (ctx) => {
      const paths = ["/opt/clawav", "/opt/clawav/dist/cli/clawav.js", "/etc/clawav", "/etc/clawav/config.toml", "/etc/clawav/preload-policy.json", ctx.config.general.state_dir, "/usr/local/bin/clawav"].filter((p) => ctx.exists(p));
      if (paths.length === 0) return unknown("clawav is not installed here (no /opt/clawav, /etc/clawav or state folder)");
      const bad: string[] = [];
      for (const p of paths) {
        const st = ctx.stat(p)!;
        if (st.uid !== 0) bad.push(`${p} is uid ${st.uid}'s`);
        else if ((st.mode & 0o022) !== 0) bad.push(`${p} mode ${(st.mode & 0o7777).toString(8)}`);
      }
      const state = ctx.stat(ctx.config.general.state_dir);
      if (state && (state.mode & 0o077) !== 0) bad.push(`${ctx.config.general.state_dir} mode ${(state.mode & 0o777).toString(8)} (want 0700: it holds the chain's key)`);
      return bad.length === 0 ? pass(`${paths.length} paths root's, none writable by others`) : fail(some(bad));
    },
  },
  {
    id: "clawav.files-immutable",
    title: "clawav's installed files carry the immutable flag",
    severity: "warning",
    category: "SEC_TAMPER",
    remedy: "clawav install (layer immutable), or chattr +i on each path named",
    run: (ctx) => {
      const paths = ["/opt/clawav", "/etc/clawav/config.toml", "/etc/systemd/system/clawav.service", "/etc/clawav/installed.json"].filter((p) => ctx.exists(p));
      if (paths.length === 0) return unknown("clawav is not installed with clawav install here");
      const flags = ctx.cmdAny("lsattr", ["-d", ...paths.map((p) => ctx.path(p))]);
      if (!flags) return unknown("lsattr cannot be run (e2fsprogs)");
      const bad = flags
        .split("\n")
        .filter(Boolean)
        .filter((l) => !(l.split(/\s+/)[0] ?? "").includes("i"))
        .map((l) => l.split(/\s+/).slice(1).join(" "));
      return bad.length === 0 ? pass(`${paths.length} paths immutable`) : fail(`not immutable: ${some(bad)}`);
    },
  },
  {
    id: "clawav.running",
    title: "clawav's daemon is alive (its heartbeat is under two minutes old)",
    severity: "critical",
    category: "SEC_TAMPER",
    remedy: "systemctl status clawav; journalctl -u clawav (or start it: clawav run)",
    run: (ctx) => {
      const text = ctx.read(`${ctx.config.general.state_dir}/heartbeat.json`);
      if (text === undefined) return fail(`no ${ctx.config.general.state_dir}/heartbeat.json: the daemon has not run with this state folder`);
      let b: { ts?: number; pid?: number; stopped?: boolean };
      try {
        b = JSON.parse(text) as typeof b;
      } catch {
        return fail("heartbeat.json is not JSON");
      }
      const age = Math.round((ctx.now - (b.ts ?? 0)) / 1000);
      if (b.stopped) return fail(`it stopped ${age} s ago (pid ${b.pid ?? "?"})`);
      return age <= 120 ? pass(`pid ${b.pid ?? "?"}, heartbeat ${age} s ago`) : fail(`its last heartbeat is ${age} s old (pid ${b.pid ?? "?"}): killed, frozen or hung`);
    },
  },
  {
    id: "disk.state",
    title: "clawav's state and log folders have room (5% and 256 MiB free)",
    severity: "critical",
    category: "SEC_TAMPER",
    remedy: "free space on the filesystem named: a full disk stops the chain from being written (alerts then wait in memory)",
    run: (ctx) => {
      const dirs = [ctx.config.general.state_dir, dirname(ctx.config.preload.log_path), dirname(ctx.config.auditd.log_path)];
      const bad: string[] = [];
      let seen = 0;
      for (const d of dirs) {
        let p = d;
        while (p !== "/" && !ctx.exists(p)) p = dirname(p);
        const s = ctx.statfs(p);
        if (!s || s.totalBytes === 0) continue;
        seen++;
        const pct = (100 * s.freeBytes) / s.totalBytes;
        if (pct < 5 || s.freeBytes < 256 * 1024 * 1024) bad.push(`${d}: ${(s.freeBytes / 2 ** 20).toFixed(0)} MiB free (${pct.toFixed(1)}%)`);
      }
      if (seen === 0) return unknown("no folder's filesystem could be read");
      return bad.length === 0 ? pass(`${seen} folder(s) with room`) : fail(some(bad));
    },
  },
];
