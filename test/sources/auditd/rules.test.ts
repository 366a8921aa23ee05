import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { clawavRules, formatRule, installRules, parseAuditStatus } from "../../../src/sources/auditd/index.js";
import { homesOf } from "../../../src/sources/auditd/rules.js";
import { auditdUsable, runCli } from "../../helpers/system.js";

describe("audit rules", () => {
  const ctx = { homes: ["/home/agent"], ownPaths: ["/etc/clawav"], arches: ["b64", "b32"] as ("b64" | "b32")[] };

  it("covers exec, connect (not AF_UNIX), ptrace, modules, mount, perf, setuid family, memfd and the watches", () => {
    const text = clawavRules(ctx).map(formatRule).join("\n");
    for (const want of [
      "-F arch=b64 -S execve,execveat -k clawav",
      "-F arch=b32 -S execve,execveat -k clawav",
      "-S connect -F a2=16",
      "-S connect -F a2=28",
      "-S ptrace",
      "-S init_module,finit_module,delete_module",
      "-S mount,umount2",
      "-S perf_event_open",
      "-S memfd_create",
      "-S kill,tkill,tgkill -F success=0 -k clawav",
      "-S setuid,setgid,setreuid,setregid,setresuid,setresgid,setfsuid,setfsgid -F a0=0",
      "-S setuid32,",
      "-w /etc/shadow -p rwa",
      "-w /etc/sudoers.d -p rwa",
      "-w /home/agent/.ssh -p rwa",
      "-w /home/agent/.aws -p rwa",
      "-w /home/agent/.openclaw -p rwa",
      "-w /etc/clawav -p wa",
    ]) expect(text).toContain(want);
    expect(clawavRules(ctx).every((r) => r.at(-2) === "-k" && r.at(-1) === "clawav")).toBe(true);
  });

  it("finds the homes of watched users in passwd", () => {
    const passwd = "root:x:0:0:root:/root:/bin/bash\nagent:x:1000:1000::/home/agent:/bin/bash\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n";
    expect(homesOf(passwd, (u) => u >= 1000)).toEqual(["/home/agent"]);
  });

  it("parses auditctl -s", () => {
    expect(parseAuditStatus("enabled 1\nfailure 1\npid 2691\nrate_limit 0\nbacklog_limit 64\nlost 7\nbacklog 3\n")).toEqual({ enabled: 1, pid: 2691, lost: 7, backlog: 3, backlog_limit: 64, rate_limit: 0 });
    expect(parseAuditStatus("garbage")).toBeUndefined();
  });

  it.skipIf(!auditdUsable())("installs idempotently and leaves other rules alone (real kernel)", async () => {
    const foreign = ["-a", "always,exit", "-F", "arch=b64", "-S", "chdir", "-k", "someone-else"];
    spawnSync("auditctl", foreign);
    try {
      installRules(clawavRules(ctx));
      const second = installRules(clawavRules(ctx));
      expect(second.added).toEqual([]);
      expect(second.present.length).toBeGreaterThan(10);
      const listed = spawnSync("auditctl", ["-l"], { encoding: "utf8" }).stdout;
      expect(listed).toContain("-S chdir -F key=someone-else");
      expect(listed).toContain("-S execve,execveat -F key=clawav");
      const r = await runCli(["rules", "print"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("auditctl -a always,exit -F arch=b64 -S execve,execveat -k clawav");
    } finally {
      spawnSync("auditctl", ["-d", ...foreign.slice(1)]);
    }
  });
});
