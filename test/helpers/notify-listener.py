#!/usr/bin/env python3
# systemd's side of sd_notify for tests: binds an AF_UNIX datagram socket at the path given and
# prints each datagram it receives as one JSON line {"t": ms since epoch, "msg": text}, flushed.
# (Node cannot bind a datagram socket of this family; systemd itself is not PID 1 here.)
import json, os, socket, sys, time

path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o600)
print(json.dumps({"t": time.time() * 1000, "msg": "LISTENING"}), flush=True)
while True:
    data = s.recv(65536)
    print(json.dumps({"t": time.time() * 1000, "msg": data.decode("utf-8", "replace")}), flush=True)
