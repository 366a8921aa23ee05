// Fault: the state folder's disk fills up (a small tmpfs), then frees. The daemon goes on, says
// so with a critical alert through the channels (which need no disk), keeps every chain entry in
// memory, and writes them, in order, once the disk takes them: nothing recorded is lost.
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DaemonUnderTest } from "../helpers/daemon.js";
import { auditdUsable, IS_ROOT, runAsUser, runCli, waitFor } from "../helpers/system.js";

describe.skipIf(!IS_ROOT || !auditdUsable())("the state folder's disk full, then freed", () => {
  const base = mkdtempSync(join(tmpdir(), "clawav-diskfull-"));
  const stateDir = join(base, "state");
  mkdirSync(stateDir, { mode: 0o700 });
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", stateDir]).status === 0;
  let d: DaemonUnderTest | undefined;
  afterAll(async () => {
    // A failed assertion leaves the daemon running on the tmpfs: stop it, or the umount is refused.
    if (d?.pid !== undefined && d.exit) await Promise.race([d.stop(), new Promise((r) => setTimeout(r, 10_000))]);
    spawnSync("umount", [stateDir]);
    rmSync(base, { recursive: true, force: true });
  });

  it.skipIf(!mounted)("raises a critical alert, loses no chain entry, and writes them all when space returns", async () => {
    const tag = `clawav-diskfull-${process.pid}`;
    const policyDir = join(base, "policies");
    mkdirSync(policyDir);
    writeFileSync(join(policyDir, "mark.yaml"), `rules:\n  - name: disk-mark\n    match:\n      command_contains: ["${tag}"]\n    action: info\n`);
    const cfg = join(base, "config.toml");
    writeFileSync(cfg, `[policy]\ndirs = ["${policyDir}"]\n\n[chain]\nfsync = "always"\n\n[network]\ndns_servers = ["127.0.0.1:1"]\n\n[ebpf]\ndns_answers = false\nsyscalls = false\n`, { mode: 0o600 });
    d = new DaemonUnderTest(stateDir, ["--config", cfg]);
    await d.start();
    const dd = d;
    const mark = async (from: number, to: number) => {
      for (let n = from; n < to; n++) await runAsUser("/bin/true", [tag, String(n)]);
      await dd.waitAlert(`the alert for mark ${to - 1}`, (a) => a.rule === "disk-mark" && a.event.process?.argv.at(-1) === String(to - 1), 20_000);
    };
    await mark(0, 10);

    // Fill the disk to the last block.
    const filler = join(stateDir, "filler");
    const fd = openSync(filler, "w");
    const chunk = Buffer.alloc(16 * 1024, 0x78);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (e) {
      expect((e as NodeJS.ErrnoException).code).toBe("ENOSPC");
    }
    try {
      for (;;) writeSync(fd, chunk.subarray(0, 1));
    } catch {
      // every byte taken
    }
    closeSync(fd);

    await mark(10, 30);
    const failed = await dd.waitAlert("the chain write failure", (a) => a.rule === "audit-chain-write-failed");
    expect(failed).toMatchObject({ severity: "critical", category: "SEC_TAMPER" });
    expect(failed.summary).toContain("ENOSPC");
    const during = await dd.api<{ chain: { backlog: { pending: number; problem?: string } } }>("/api/status");
    // Twenty alerts came after the fill; tmpfs still takes appends that fit in the chain file's
    // last, partly used page (up to 4 KiB, a couple of entries), so a few may have been written.
    expect(during.chain.backlog.pending).toBeGreaterThanOrEqual(16);
    expect(during.chain.backlog.problem).toBe("ENOSPC");

    rmSync(filler);
    await waitFor("the waiting entries to be written", async () => ((await dd.api<{ chain: { backlog: { pending: number } } }>("/api/status")).chain.backlog.pending === 0 ? true : undefined), 20_000);
    await mark(30, 40);
    expect((await dd.stop()).code).toBe(0);

    const chainFile = join(stateDir, "audit.chain");
    const v = await runCli(["verify-audit", chainFile]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const lines = readFileSync(chainFile, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { type: string; alert?: { rule: string; event: { process?: { argv: string[] } } }; data?: { written_late?: number; dropped?: number } });
    const marks = lines.filter((e) => e.type === "alert" && e.alert?.rule === "disk-mark").map((e) => Number(e.alert!.event.process!.argv.at(-1)));
    expect(marks).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const resumed = lines.find((e) => e.type === "write_resumed");
    expect(resumed?.data).toMatchObject({ dropped: 0 });
    expect(resumed!.data!.written_late).toBeGreaterThanOrEqual(16);
    expect(lines.some((e) => e.type === "alert" && e.alert?.rule === "audit-chain-write-failed")).toBe(true);
  }, 180_000);
});
