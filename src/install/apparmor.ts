// The AppArmor profile for the agent (layer apparmor): broad, as the agent's work is, with clawav's
// own files denied. Run an agent under it with `aa-exec -p clawav-agent -- CMD`.
import type { InstallPlaces } from "./places.js";

export const APPARMOR_PROFILE = "clawav-agent";

export function apparmorProfile(p: InstallPlaces): string {
  return `# Written by clawav install. The agent may do its work; it may not read clawav's state or
# change anything of clawav's. Loaded with apparmor_parser -r; clawav uninstall unloads it.
abi <abi/3.0>,
include <tunables/global>

profile ${APPARMOR_PROFILE} flags=(attach_disconnected) {
  include <abstractions/base>

  capability,
  network,
  signal,
  ptrace,
  unix,
  dbus,
  umount,
  file,

  deny ${p.stateDir}/ rwlk,
  deny ${p.stateDir}/** rwlk,
  deny ${p.runDir}/** rwlk,
  deny ${p.etcDir}/ wlk,
  deny ${p.etcDir}/** wlk,
  deny ${p.prefix}/** wlk,
  deny ${p.logDir}/ wlk,
  deny ${p.unitDir}/clawav.service wlk,
  deny ${p.sudoersDir}/** wlk,
  deny /etc/sudoers wlk,
  deny /etc/audit/** wlk,
  deny /etc/ld.so.preload wlk,
  deny ${p.binDir}/clawav wlk,
  deny ${p.binDir}/clawsudo wlk,
}
`;
}
