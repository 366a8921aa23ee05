// Where an install puts each part.
export interface InstallPlaces {
  prefix: string;
  binDir: string;
  etcDir: string;
  stateDir: string;
  logDir: string;
  runDir: string;
  unitDir: string;
  sudoersDir: string;
  auditRulesDir: string;
  sysctlDir: string;
  apparmorDir: string;
}

export const DEFAULT_PLACES: InstallPlaces = {
  prefix: "/opt/clawav",
  binDir: "/usr/local/bin",
  etcDir: "/etc/clawav",
  stateDir: "/var/lib/clawav",
  logDir: "/var/log/clawav",
  runDir: "/run/clawav",
  unitDir: "/etc/systemd/system",
  sudoersDir: "/etc/sudoers.d",
  auditRulesDir: "/etc/audit/rules.d",
  sysctlDir: "/etc/sysctl.d",
  apparmorDir: "/etc/apparmor.d",
};
