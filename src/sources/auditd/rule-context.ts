import type { Config } from "../../config/index.js";
import { PACKAGE_ROOT } from "../../version.js";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { ENGINE_SOCKETS, homesOf, kernelArches, readPasswd, type RuleContext } from "./rules.js";
import { createWatchedUsers, systemUserNames } from "../../enrich/index.js";
import { activeProfiles, profileUsers, profileWatches } from "../../profiles/index.js";

/** The rule context for this machine: watched users' homes, clawav's own files, the arches. */
export function ruleContextFor(config: Config): RuleContext {
  const users = systemUserNames();
  const watched = createWatchedUsers(config, process.getuid?.() ?? -1, (n) => users.uid(n));
  const profiles = activeProfiles(config);
  // A profile's agent user may be a system user (uid < 1000) the default watch leaves out.
  const agentUids = new Set(profileUsers(profiles).flatMap((n) => users.uid(n) ?? []));
  const homes = homesOf(readPasswd(), (uid) => watched.has(uid) || agentUids.has(uid));
  return {
    homes,
    ownPaths: [...new Set(["/etc/clawav", config.general.state_dir, PACKAGE_ROOT])],
    arches: kernelArches(),
    extraWatches: profileWatches(profiles, homes),
    engineSockets: ENGINE_SOCKETS.filter((s) => existsSync(dirname(s))),
  };
}
