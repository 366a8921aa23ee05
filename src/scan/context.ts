// What a posture check may look at: files under a root (the live machine's "/", or a prepared or
// mounted tree with --root), and on the live machine only, a few commands (nft, auditctl, apt).
// Reads never follow a path out of the root through ".." in what they are given.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, statfsSync, type Stats } from "node:fs";
import { join, normalize } from "node:path";
import type { Config } from "../config/index.js";

export interface ScanUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface ScanContext {
  root: string;
  /** The machine clawav runs on (root "/"): commands and live kernel state may be asked. */
  live: boolean;
  config: Config;
  /** The agents' users, as the config names them (else every login user with uid >= 1000). */
  agents: ScanUser[];
  users: ScanUser[];
  now: number;
  path(p: string): string;
  read(p: string): string | undefined;
  exists(p: string): boolean;
  stat(p: string): Stats | undefined;
  lstat(p: string): Stats | undefined;
  list(p: string): string[];
  readlink(p: string): string | undefined;
  statfs(p: string): { freeBytes: number; totalBytes: number } | undefined;
  /** A command's stdout on the live machine; undefined with --root or when it fails to run. */
  cmd(name: string, args: readonly string[]): { code: number; out: string } | undefined;
  /** A read-only local tool run on paths under the root (lsattr), live or not. */
  cmdAny(name: string, args: readonly string[]): string | undefined;
  /** A kernel setting: /proc/sys live; with --root, the persisted value from sysctl.conf and sysctl.d. */
  sysctl(key: string): string | undefined;
}

function parsePasswd(text: string): ScanUser[] {
  const out: ScanUser[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid)) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5]! });
  }
  return out;
}

/** sysctl.conf syntax: `key = value`, `#`/`;` comments; later files and lines win. */
export function persistedSysctls(files: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const text of files)
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (!line || line.startsWith("#") || line.startsWith(";")) continue;
      const eq = line.indexOf("=");
      if (eq < 0) continue;
      m.set(line.slice(0, eq).trim().replace(/^-/, "").replaceAll("/", "."), line.slice(eq + 1).trim());
    }
  return m;
}

export function scanContext(config: Config, root = "/", now = Date.now()): ScanContext {
  const live = normalize(root) === "/";
  const path = (p: string) => (live ? p : join(root, normalize(`/${p}`)));
  const read = (p: string) => {
    try {
      return readFileSync(path(p), "utf8");
    } catch {
      return undefined;
    }
  };
  const users = parsePasswd(read("/etc/passwd") ?? "");
  const byName = new Map(users.map((u) => [u.name, u]));
  const byUid = new Map(users.map((u) => [u.uid, u]));
  const named: ScanUser[] = [];
  for (const a of config.agents) {
    const u = (a.uid !== undefined ? byUid.get(a.uid) : undefined) ?? byName.get(a.name);
    if (u) named.push(u);
  }
  for (const w of [...config.general.watched_users, ...(config.general.watched_user ? [config.general.watched_user] : [])]) {
    const u = /^\d+$/.test(w) ? byUid.get(Number(w)) : byName.get(w);
    if (u) named.push(u);
  }
  const agents = named.length > 0 ? [...new Map(named.map((u) => [u.uid, u])).values()] : users.filter((u) => u.uid >= 1000 && u.uid < 65534);
  let sysctls: Map<string, string> | undefined;
  const ctx: ScanContext = {
    root,
    live,
    config,
    agents,
    users,
    now,
    path,
    read,
    exists: (p) => existsSync(path(p)),
    stat: (p) => {
      try {
        return statSync(path(p));
      } catch {
        return undefined;
      }
    },
    lstat: (p) => {
      try {
        return lstatSync(path(p));
      } catch {
        return undefined;
      }
    },
    list: (p) => {
      try {
        return readdirSync(path(p)).sort();
      } catch {
        return [];
      }
    },
    readlink: (p) => {
      try {
        return readlinkSync(path(p));
      } catch {
        return undefined;
      }
    },
    statfs: (p) => {
      try {
        const s = statfsSync(path(p));
        return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
      } catch {
        return undefined;
      }
    },
    cmd: (name, args) => {
      if (!live) return undefined;
      const r = spawnSync(name, args, { encoding: "utf8", timeout: 60_000, maxBuffer: 32 << 20 });
      if (r.error) return undefined;
      return { code: r.status ?? -1, out: r.stdout };
    },
    cmdAny: (name, args) => {
      const r = spawnSync(name, args, { encoding: "utf8", timeout: 60_000 });
      return r.error ? undefined : r.stdout;
    },
    sysctl: (key) => {
      const v = read(`/proc/sys/${key.replaceAll(".", "/")}`);
      if (v !== undefined) return v.trim();
      if (live) return undefined;
      if (!sysctls) {
        const files = [read("/etc/sysctl.conf") ?? "", ...["/usr/lib/sysctl.d", "/run/sysctl.d", "/etc/sysctl.d"].flatMap((d) => ctx.list(d).filter((f) => f.endsWith(".conf")).map((f) => read(`${d}/${f}`) ?? ""))];
        sysctls = persistedSysctls(files);
      }
      return sysctls.get(key);
    },
  };
  return ctx;
}
