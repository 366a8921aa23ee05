#!/usr/bin/env bash
# What a fresh Debian machine lacks for clawav and its tests: the real auditd, sudo, laurel and
# ausearch (the benchmark's peers), libseccomp (the seccomp cross-check), strace (learn mode),
# bpftrace, podman with crun and busybox-static (the container tests' image), systemd (journald
# and journalctl, for the journald source), tmux and chromium (the dashboards' tests), a C compiler for the native parts, and python3-venv with Debian's wheels of pip,
# setuptools and wheel (the loopback PyPI mirror of the benign workflows). Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  auditd sudo laurel libseccomp-dev python3-seccomp strace bpftrace gcc make libc6-dev \
  procps psmisc iproute2 curl git python3 make cron ca-certificates \
  python3-venv python3-pip-whl python3-setuptools-whl python3-wheel-whl zip nftables iptables samhain rsyslog \
  podman crun busybox-static systemd tmux chromium apparmor e2fsprogs >/dev/null
