import { locateKey, type Config, type ConfigIssue } from "../config/index.js";
import { systemUserNames } from "../enrich/index.js";
import { FULL, profileNames } from "../profiles/index.js";

/** The checks against this machine that `run` makes when it starts (user names resolve, the profile exists), with the line. */
export function machineIssues(config: Config, text: string, file: string): ConfigIssue[] {
  const users = systemUserNames();
  const out: ConfigIssue[] = [];
  const g = config.general;
  const check = (name: string, path: (string | number)[]) => {
    if (!/^\d+$/.test(name) && users.uid(name) === undefined) out.push({ file, line: locateKey(text, path), key: path.join("."), message: `no such user "${name}" on this machine (give a uid or an existing user name)` });
  };
  g.watched_users.forEach((n, i) => check(n, ["general", "watched_users", i]));
  if (g.watched_user !== undefined) check(g.watched_user, ["general", "watched_user"]);
  const profile = config.profile.name;
  if (profile !== undefined && profile !== FULL && !profileNames().includes(profile))
    out.push({ file, line: locateKey(text, ["profile", "name"]), key: "profile.name", message: `no agent profile "${profile}": known profiles are ${profileNames().join(", ")} (clawav profiles list)` });
  return out;
}

/** The sections a running daemon takes from a new config at once: those the detector is built from. */
export const LIVE_SECTIONS: readonly (keyof Config)[] = ["policy", "sigma", "profile", "agents"];

/** Top-level sections whose values differ between two configs. */
export function changedSections(a: Config, b: Config): (keyof Config)[] {
  return (Object.keys(b) as (keyof Config)[]).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}
