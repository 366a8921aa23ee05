#!/usr/bin/env bash
# Re-records the audit fixtures in test/fixtures/audit/ from the real auditd on this machine.
# Run as root with auditd running: bash scripts/record-fixtures.sh
# It adds temporary rules tagged `clawav-fixture`, runs real commands as the unprivileged test
# user (created if missing), copies the records of each scenario out with ausearch --raw, and
# removes its rules. Scenarios are recorded with log_format=RAW, one with ENRICHED, and
# auditd.conf is restored afterwards.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "record-fixtures: run as root" >&2; exit 2; }
cd "$(dirname "$0")/.."
out=test/fixtures/audit
user=clawavtest
getent passwd "$user" >/dev/null || useradd --create-home --shell /bin/bash "$user"
pidof auditd >/dev/null || auditd
key=clawav-fixture
work=$(mktemp -d /tmp/clawav-fixture.XXXXXX)
chmod 1777 "$work"
printf 'PRIVATE KEY\n' > "$work/id_rsa"; chmod 0644 "$work/id_rsa"
cleanup() {
  auditctl -l | grep -- "-k $key\|key=$key" >/dev/null 2>&1 && auditctl -D -k "$key" >/dev/null || true
  [ -f /etc/audit/auditd.conf.clawav-fixture ] && mv /etc/audit/auditd.conf.clawav-fixture /etc/audit/auditd.conf && restart_auditd
  rm -rf "$work"
}
restart_auditd() { kill "$(pidof auditd)" 2>/dev/null || true; for _ in $(seq 50); do pidof auditd >/dev/null || break; sleep 0.1; done; auditd; sleep 0.5; }
trap cleanup EXIT

add_rules() {
  auditctl -a always,exit -F arch=b64 -S execve,execveat -F uid="$(id -u $user)" -k "$key"
  auditctl -a always,exit -F arch=b64 -S connect -F uid="$(id -u $user)" -k "$key"
  auditctl -w "$work" -p rwa -k "$key"
}
as_user() { runuser -u "$user" -- "$@"; }
mark() { date +%s.%N | cut -c1-14; }
# record NAME CMD...: runs CMD as the test user, then saves this scenario's events.
record() {
  local name=$1; shift
  local start; start=$(date '+%H:%M:%S')
  sleep 1
  "$@" || true
  sleep 1.2
  # ausearch finds the events; their records (EOE included, which --raw leaves out) are then
  # copied from the log itself, in log order.
  ausearch --raw -k "$key" -ts "$(date '+%x')" "$start" 2>/dev/null | grep -o 'msg=audit([0-9.:]*)' | sort -u > "$work/ids" || true
  grep -hF -f "$work/ids" /var/log/audit/audit.log > "$out/$name.log" || true
  echo "record-fixtures: $name: $(wc -l < "$out/$name.log") records"
}

cp /etc/audit/auditd.conf /etc/audit/auditd.conf.clawav-fixture
set_format() { sed -i "s/^log_format *=.*/log_format = $1/" /etc/audit/auditd.conf; restart_auditd; }
set_format RAW
add_rules
python3 -c '
import socket, sys, os
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8); print(s.getsockname()[1])
s6 = socket.socket(socket.AF_INET6); s6.bind(("::1", 0)); s6.listen(8); print(s6.getsockname()[1])
sys.stdout.flush()
u = socket.socket(socket.AF_UNIX); u.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); u.listen(8)
import time; time.sleep(30)' "$work/sock" > "$work/ports" &
srv=$!
sleep 1
port4=$(sed -n 1p "$work/ports"); port6=$(sed -n 2p "$work/ports")

record exec-quoting as_user /bin/echo "hello world" "it's \"quoted\"" "ünïcödé ✓" $'tab\there' "" '$HOME'
record exec-many-args as_user /bin/true $(seq 1 250)
record exec-long-arg as_user /bin/true "$(head -c 20000 /dev/zero | tr '\0' 'x')" after
record connect-inet as_user python3 -c "import socket; socket.create_connection(('127.0.0.1', $port4)).close(); socket.create_connection(('::1', $port6)).close()"
record connect-unix as_user python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.connect('$work/sock'); s.close()"
record file-redirect as_user bash -c "cat < $work/id_rsa > /dev/null"
record file-nonutf8 as_user bash -c "cd $work && touch \$'bad\\xff\\xfename' && ls > /dev/null"
record shell-pipeline as_user bash -c "echo ZWNobyBoaQo= | base64 -d | sh"
kill $srv 2>/dev/null || true

set_format ENRICHED
record exec-enriched as_user /usr/bin/id -u
echo "record-fixtures: done; review test/fixtures/audit/*.log before committing"
