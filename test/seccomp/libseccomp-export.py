#!/usr/bin/python3
# Builds the same policy as a clawav whitelist with libseccomp (python3-seccomp) and writes
# libseccomp's BPF program to stdout. Used by the cross-check test only.
import json, os, sys, tempfile, seccomp
w = json.load(open(sys.argv[1]))
def act(a):
    if isinstance(a, dict): return seccomp.ERRNO(a["errno"])
    return {"ALLOW": seccomp.ALLOW, "KILL_PROCESS": seccomp.KILL_PROCESS, "KILL_THREAD": seccomp.KILL, "TRAP": seccomp.TRAP, "LOG": seccomp.LOG}[a]
ops = {"eq": seccomp.EQ, "ne": seccomp.NE, "gt": seccomp.GT, "lt": seccomp.LT, "ge": seccomp.GE, "le": seccomp.LE, "masked_eq": seccomp.MASKED_EQ}
f = seccomp.SyscallFilter(act(w["default_action"]))
f.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
for e in w["syscalls"]:
    if e["permission"] == "ALLOW": f.add_rule(seccomp.ALLOW, e["name"])
    elif e["permission"] == "DENY": f.add_rule(act(e.get("action", {"errno": 1})), e["name"])
    else:
        args = []
        for c in e["conditions"]:
            v = int(str(c["value"]), 0)
            if c["op"] == "masked_eq": args.append(seccomp.Arg(c["arg"], seccomp.MASKED_EQ, int(str(c["mask"]), 0), v))
            else: args.append(seccomp.Arg(c["arg"], ops[c["op"]], v))
        f.add_rule(seccomp.ALLOW, e["name"], *args)
with tempfile.TemporaryFile() as t:
    f.export_bpf(t)
    t.seek(0)
    sys.stdout.buffer.write(t.read())
