#!/usr/bin/env bash
# What a fresh Debian machine lacks for clawav and its tests: the real auditd, sudo, laurel and
# ausearch (the benchmark's peers), libseccomp (the seccomp cross-check), strace (learn mode),
# bpftrace, and a C compiler for the native parts. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  auditd sudo laurel libseccomp-dev python3-seccomp strace bpftrace gcc make libc6-dev \
  procps psmisc iproute2 curl git python3 make cron ca-certificates >/dev/null
