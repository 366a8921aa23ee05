#!/usr/bin/env bash
# What a fresh Debian machine lacks for clawav and its tests: the real auditd, sudo, laurel and
# ausearch (the benchmark's peers), libseccomp (the seccomp cross-check), strace (learn mode),
# bpftrace, podman with crun and busybox-static (the container tests' image), systemd (journald
# and journalctl, for the journald source), rsyslog-gnutls (TLS for the SIEM output's collector), tmux and chromium (the dashboards' tests), a C compiler for the native parts, and python3-venv with Debian's wheels of pip,
# setuptools and wheel (the loopback PyPI mirror of the benign workflows), apparmor and e2fsprogs
# (the installer's profile check and chattr), and debootstrap with a Debian rootfs for the
# installer's systemd test (systemd as PID 1 in a podman container). Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  auditd sudo laurel libseccomp-dev python3-seccomp strace bpftrace gcc make libc6-dev \
  procps psmisc iproute2 curl git python3 make cron ca-certificates openssl \
  python3-venv python3-pip-whl python3-setuptools-whl python3-wheel-whl zip nftables iptables samhain rsyslog rsyslog-gnutls \
  podman crun busybox-static systemd tmux chromium apparmor e2fsprogs debootstrap prometheus >/dev/null
# The installer's systemd test boots this with systemd as PID 1 (test/e2e/systemd.test.ts). Made
# here, not in the test: the test itself touches no network but loopback. Kept between runs.
rootfs=/var/tmp/clawav-systemd-rootfs
if [ ! -e "$rootfs/.clawav-ready" ]; then
  echo "install-deps: debootstrap of Debian bookworm with systemd into $rootfs (about a minute)"
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,e2fsprogs,sudo,procps \
    bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
  touch "$rootfs/.clawav-ready"
fi
