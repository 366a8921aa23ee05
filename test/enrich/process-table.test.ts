import { describe, expect, it } from "vitest";
import { ProcessTable } from "../../src/enrich/index.js";
import type { Event } from "../../src/events/index.js";

function exec(pid: number, ppid: number, exe: string, uid = 1000, argv: string[] = [exe]): Event {
  return {
    id: "0", ts: 0, source: "auditd", kind: "exec", node_id: "n", fidelity: "kernel",
    process: { pid, ppid, uid, auid: uid, euid: uid, exe, comm: exe.split("/").pop()!, argv },
  };
}

/** A file event whose argv came from PROCTITLE, as auditd gives it. */
function fileRead(pid: number, ppid: number, exe: string, proctitle: string[]): Event {
  return {
    id: "0", ts: 0, source: "auditd", kind: "file", node_id: "n", fidelity: "kernel",
    process: { pid, ppid, uid: 1000, auid: 1000, euid: 1000, exe, comm: "pip", argv: proctitle, argv_truncated: true },
    file: { path: "/home/a/.netrc", items: [{ name: "/home/a/.netrc", nametype: "NORMAL" }] },
  };
}

describe("ProcessTable", () => {
  // Recorded live: timeout 60 bash -c "cd ~/p && .venv/bin/pip install wheel"; bash execs pip (its
  // last command) in place, and pip's records carry the PROCTITLE the kernel cached for the task.
  const timeoutArgv = ["timeout", "60", "bash", "-c", "cd ~/p && .venv/bin/pip install -q wheel"];
  const pipArgv = ["/home/a/p/.venv/bin/python3", ".venv/bin/pip", "install", "-q", "wheel"];
  it("gives a stale PROCTITLE (the parent's or an earlier image's) the argv of the pid's current image", () => {
    const t = new ProcessTable();
    t.enrich(exec(50, 1, "/usr/bin/timeout", 1000, timeoutArgv));
    t.enrich(exec(51, 50, "/usr/bin/bash", 1000, ["bash", "-c", "cd ~/p && .venv/bin/pip install -q wheel"]));
    t.enrich(exec(51, 50, "/usr/bin/python3.11", 1000, pipArgv));
    const fromParent = t.enrich(fileRead(51, 50, "/usr/bin/python3.11", ["timeout", "60", "bash", "-c", "cd ~/p && .venv/bin/pi"]));
    expect(fromParent.process!.argv).toEqual(pipArgv);
    expect(fromParent.process!.argv_truncated).toBeUndefined();
    const fromEarlierImage = t.enrich(fileRead(51, 50, "/usr/bin/python3.11", ["bash", "-c", "cd ~/p"]));
    expect(fromEarlierImage.process!.argv).toEqual(pipArgv);
  });
  it("keeps a PROCTITLE the process wrote itself (a renamed process), and one of another executable", () => {
    const t = new ProcessTable();
    t.enrich(exec(50, 1, "/usr/bin/timeout", 1000, timeoutArgv));
    t.enrich(exec(51, 50, "/usr/bin/python3.11", 1000, pipArgv));
    expect(t.enrich(fileRead(51, 50, "/usr/bin/python3.11", ["[kworker/0:1]"])).process!.argv).toEqual(["[kworker/0:1]"]);
    expect(t.enrich(fileRead(51, 50, "/usr/bin/perl", timeoutArgv)).process!.argv).toEqual(timeoutArgv);
  });

  it("builds lineage nearest first from exec events", () => {
    const t = new ProcessTable();
    t.enrich(exec(10, 1, "/usr/lib/systemd/systemd"));
    t.enrich(exec(20, 10, "/usr/bin/node"));
    const e = t.enrich(exec(30, 20, "/usr/bin/bash"));
    expect(e.process!.lineage).toEqual([
      { pid: 20, exe: "/usr/bin/node" },
      { pid: 10, exe: "/usr/lib/systemd/systemd" },
      { pid: 1, exe: "?" },
    ]);
  });

  it("falls back to the lookup for processes it has not seen, and stops at loops", () => {
    const t = new ProcessTable({ lookup: (pid) => (pid === 5 ? { pid: 5, ppid: 6, uid: 0, exe: "/sbin/init", argv0: "init" } : pid === 6 ? { pid: 6, ppid: 5, uid: 0, exe: "/x", argv0: "x" } : undefined) });
    const e = t.enrich(exec(7, 5, "/bin/sh"));
    expect(e.process!.lineage).toEqual([{ pid: 5, exe: "/sbin/init" }, { pid: 6, exe: "/x" }]);
    expect(t.lookups).toBe(2);
  });

  it("assigns agents: registered root, then command in lineage, then uid, then the default", () => {
    const t = new ProcessTable({
      agents: [{ name: "claw", command: "openclaw" }, { name: "bot", uid: 1001 }],
      defaultAgent: (uid, user) => (uid >= 1000 ? (user ?? `uid:${uid}`) : undefined),
    });
    t.enrich(exec(100, 1, "/usr/local/bin/openclaw", 1000));
    expect(t.enrich(exec(101, 100, "/bin/bash", 1000)).process!.agent).toBe("claw");
    expect(t.enrich(exec(200, 1, "/bin/bash", 1001)).process!.agent).toBe("bot");
    expect(t.enrich(exec(300, 1, "/bin/bash", 1002)).process!.agent).toBe("uid:1002");
    expect(t.enrich(exec(400, 1, "/bin/bash", 0)).process!.agent).toBeUndefined();
    t.registerRoot(400, "exec-agent");
    expect(t.enrich(exec(401, 400, "/bin/ls", 0)).process!.agent).toBe("exec-agent");
  });

  it("is bounded and counts evictions", () => {
    const t = new ProcessTable({ maxEntries: 3 });
    for (let i = 1; i <= 5; i++) t.observe(exec(i, 0, "/bin/true"));
    expect(t.size).toBe(3);
    expect(t.evictions).toBe(2);
    expect(t.get(1)).toBeUndefined();
    expect(t.get(5)?.exe).toBe("/bin/true");
  });
});
