// The systemd unit clawav runs under: Type=notify with a watchdog, restarted whatever ends it,
// and confined as far as a watchdog can be that must read every process, freeze cgroups and talk
// to audit, netlink and bpf.
export interface UnitChoices {
  node: string;
  cli: string;
  configFile: string;
  /** Folders the daemon writes (state, logs, its admin socket's folder). */
  writable: readonly string[];
  docs?: string;
}

export const UNIT_NAME = "clawav.service";

export function serviceUnit(u: UnitChoices): string {
  return `# Written by clawav install. clawav uninstall (with the admin key) removes it.
[Unit]
Description=clawav: the watchdog of the AI agents on this machine
${u.docs ? `Documentation=${u.docs}\n` : ""}After=auditd.service network-online.target
Wants=auditd.service network-online.target
# Restart=always must never give up: no start limit.
StartLimitIntervalSec=0

[Service]
Type=notify
# sd_notify comes from clawav's small helper process (Node has no datagram socket of this family).
NotifyAccess=all
ExecStart=${u.node} ${u.cli} run --headless --config ${u.configFile}
ExecReload=/bin/kill -HUP $MAINPID
Restart=always
RestartSec=2
WatchdogSec=30
TimeoutStartSec=120
TimeoutStopSec=30
# The agent's sudo cannot ask systemd to stop it (sudoers), and a kill of the main process is
# answered with a restart; only SIGKILL from root ends it, and then systemd starts it again.
KillMode=mixed
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${u.writable.join(" ")}
# Read-only, not hidden: agents' homes are where their credentials and start-up files are watched.
ProtectHome=read-only
UMask=0077
LimitCORE=0
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
ProtectHostname=yes
ProtectClock=yes
SystemCallArchitectures=native
# Not set, on purpose: PrivateTmp (the daemon hashes and judges the agent's files in /tmp),
# ProtectKernelTunables and ProtectControlGroups (quarantine freezes cgroups under /sys/fs/cgroup),
# PrivateDevices and ProtectKernelLogs (the netfilter sensor reads /dev/kmsg), PrivateNetwork
# (egress control and the netfilter table), and a narrower CapabilityBoundingSet (audit, netlink,
# bpf, kill, ptrace reads of /proc, chattr for config-update all need root's capabilities).
OOMScoreAdjust=-900

[Install]
WantedBy=multi-user.target
`;
}
