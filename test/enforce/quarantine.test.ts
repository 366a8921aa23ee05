import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, chownSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { availableMethods, descendants, freeze, thaw, TrustScores } from "../../src/enforce/index.js";
import { IS_ROOT, sleep, TEST_USER, userIds, waitFor } from "../helpers/system.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) {
    try {
      process.kill(c.pid!, "SIGCONT");
    } catch {
      // gone
    }
    c.kill("SIGKILL");
  }
});

/** A process tree of the test user that counts into a file: progress is visible. */
async function counter(): Promise<{ pids: number[]; read: () => string }> {
  const u = userIds(TEST_USER);
  const dir = mkdtempSync(join(tmpdir(), "clawav-q-"));
  chownSync(dir, u.uid, u.gid);
  const f = join(dir, "n");
  const c = spawn("sh", ["-c", `i=0; while :; do i=$((i+1)); echo $i > ${f}; sleep 0.02; done`], { uid: u.uid, gid: u.gid, stdio: "ignore" });
  children.push(c);
  const read = () => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  await waitFor("the counter to count", () => (Number(read()) > 2 ? true : undefined));
  return { pids: [c.pid!, ...descendants(c.pid!)], read };
}

describe("trust", () => {
  it("falls with alerts, recovers with time up to the initial value, and crosses the threshold", () => {
    const t = new TrustScores({ initial: 100, threshold: 40, recoveryPerHour: 10, penalty: { info: 0, warning: 5, critical: 25 } });
    expect(t.penalise("a", "critical", 0)).toBe(false);
    expect(t.penalise("a", "critical", 0)).toBe(false);
    expect(t.score("a", 0)).toBe(50);
    expect(t.penalise("a", "critical", 0)).toBe(true);
    expect(t.score("a", 3_600_000)).toBe(35);
    expect(t.score("a", 100 * 3_600_000)).toBe(100);
    expect(t.score("b", 0)).toBe(100);
  });
});

describe.skipIf(!IS_ROOT)("quarantine freezes a real process tree", () => {
  for (const method of availableMethods()) {
    it(`with ${method}: no progress while frozen, progress again after release`, async () => {
      const { pids, read } = await counter();
      const q = await freeze("clawavtest-unit", pids, method, "test");
      await sleep(100);
      const frozenAt = read();
      await sleep(400);
      expect(read()).toBe(frozenAt);
      if (method === "cgroup2") expect(readFileSync(join(q.cgroup!, "cgroup.events"), "utf8")).toMatch(/^frozen 1$/m);
      if (method === "cgroup1-freezer") expect(readFileSync(join(q.cgroup!, "freezer.state"), "utf8").trim()).toBe("FROZEN");
      if (method === "sigstop") for (const p of pids) expect(readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]![0]).toBe("T");
      thaw(q);
      await waitFor("progress after thaw", () => (read() !== frozenAt ? true : undefined), 5000);
    });
  }
});
