import type { Config } from "../../config/index.js";
import { PACKAGE_ROOT } from "../../version.js";
import { homesOf, kernelArches, readPasswd, type RuleContext } from "./rules.js";
import { createWatchedUsers, systemUserNames } from "../../enrich/index.js";

/** The rule context for this machine: watched users' homes, clawav's own files, the arches. */
export function ruleContextFor(config: Config): RuleContext {
  const users = systemUserNames();
  const watched = createWatchedUsers(config, process.getuid?.() ?? -1, (n) => users.uid(n));
  return {
    homes: homesOf(readPasswd(), (uid) => watched.has(uid)),
    ownPaths: [...new Set(["/etc/clawav", config.general.state_dir, PACKAGE_ROOT])],
    arches: kernelArches(),
  };
}
