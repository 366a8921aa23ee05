import type { Event } from "../events/index.js";
import type { Config } from "../config/index.js";
import { UserError } from "../errors/index.js";

const AUDIT_UNSET = 4294967295;

/**
 * Which uids clawav watches, by exact uid: `watched_users` (uids or names), `watch_all_users`,
 * or by default every uid >= 1000 except clawav's own (and the kernel's "unset" value).
 */
export interface WatchedUsers {
  has(uid: number | null | undefined): boolean;
  describe(): string;
}

export function createWatchedUsers(config: Config, selfUid: number, uidOf: (name: string) => number | undefined): WatchedUsers {
  const g = config.general;
  if (g.watch_all_users) {
    return { has: (uid) => uid !== null && uid !== undefined && uid !== AUDIT_UNSET && uid !== selfUid, describe: () => "all users" };
  }
  const names = [...g.watched_users, ...(g.watched_user !== undefined ? [g.watched_user] : [])];
  if (names.length === 0) {
    return {
      has: (uid) => uid !== null && uid !== undefined && uid >= 1000 && uid !== AUDIT_UNSET && uid !== selfUid,
      describe: () => "every uid >= 1000 except clawav's own",
    };
  }
  const set = new Set<number>();
  for (const n of names) {
    const uid = /^\d+$/.test(n) ? Number(n) : uidOf(n);
    if (uid === undefined) throw new UserError(`general.watched_users: no such user "${n}" (give a uid or an existing user name)`);
    set.add(uid);
  }
  return { has: (uid) => uid !== null && uid !== undefined && set.has(uid), describe: () => `uids ${[...set].sort((a, b) => a - b).join(", ")}` };
}

/** An event is judged when any of its uids is watched or it belongs to a known agent. */
export function watchedEvent(watched: WatchedUsers): (event: Event) => boolean {
  return (event) => {
    const p = event.process;
    if (!p) return true;
    // A gate's decision is always judged: it is about a request made through the gate itself.
    if (event.kind === "gate") return true;
    // Another tool's finding was judged there, whoever it was about.
    if (event.kind === "external") return true;
    return p.agent !== undefined || watched.has(p.uid) || watched.has(p.euid) || watched.has(p.auid);
  };
}
