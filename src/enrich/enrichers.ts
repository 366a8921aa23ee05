import type { Enricher, Event } from "../events/index.js";
import type { ExeIdentity, ExeIdentityFn } from "./identity.js";
import type { ProcessTable } from "./process-table.js";
import type { UserNames } from "./users.js";

/** Lineage (ancestors) and the agent a process belongs to, from the process table. */
export function lineageEnricher(table: ProcessTable): Enricher {
  return {
    name: "lineage",
    enrich(e: Event): void {
      if (e.process) table.enrich(e);
    },
    status: () => ({ entries: table.size, evictions: table.evictions, proc_lookups: table.lookups }),
  };
}

/** Names of uids the source did not name (RAW audit logs, /proc). */
export function userNamesEnricher(users: UserNames): Enricher {
  return {
    name: "user-names",
    enrich(e: Event): void {
      const p = e.process;
      if (!p) return;
      if (p.user === undefined && p.uid !== undefined && p.uid >= 0) {
        const n = users.name(p.uid);
        if (n !== undefined) p.user = n;
      }
      if (p.euid_user === undefined && p.euid !== undefined && p.euid >= 0) {
        const n = users.name(p.euid);
        if (n !== undefined) p.euid_user = n;
      }
      if (p.auid_user === undefined && p.auid !== null && p.auid >= 0) {
        const n = users.name(p.auid);
        if (n !== undefined) p.auid_user = n;
      }
    },
  };
}

/**
 * The executable's identity by content. An exec event's PATH record gives the program's device
 * and inode, so it is looked up once per (path, dev, inode); other events of that program reuse
 * what its exec established. The identity function (hashing, with its own mtime-checked cache)
 * runs only on a miss. Bounded; evictions are counted.
 */
export function identityEnricher(identity: ExeIdentityFn, max = 8192): Enricher {
  const byKey = new Map<string, ExeIdentity | null>();
  const byPath = new Map<string, ExeIdentity | null>();
  let evictions = 0;
  const remember = (m: Map<string, ExeIdentity | null>, k: string, v: ExeIdentity | null) => {
    if (m.size >= max) {
      m.delete(m.keys().next().value!);
      evictions++;
    }
    m.set(k, v);
  };
  const lookup = (e: Event, exe: string): ExeIdentity | undefined => {
    const item = e.kind === "exec" ? e.file?.items[0] : undefined;
    if (item && item.name === exe && item.inode !== undefined) {
      const key = `${exe}\u0000${item.dev ?? ""}:${item.inode}`;
      let v = byKey.get(key);
      if (v === undefined) {
        v = identity(exe) ?? null;
        remember(byKey, key, v);
        remember(byPath, exe, v);
      }
      return v ?? undefined;
    }
    let v = byPath.get(exe);
    if (v === undefined) {
      v = identity(exe) ?? null;
      remember(byPath, exe, v);
    }
    return v ?? undefined;
  };
  return {
    name: "identity",
    enrich(e: Event): void {
      const p = e.process;
      if (!p || p.identity !== undefined || !p.exe) return;
      const id = lookup(e, p.exe);
      if (id) p.identity = { ...(id.sha256 !== undefined ? { sha256: id.sha256 } : {}), ...(id.tool !== undefined ? { tool: id.tool } : {}) };
    },
    status: () => ({ by_inode: byKey.size, by_path: byPath.size, evictions }),
  };
}
