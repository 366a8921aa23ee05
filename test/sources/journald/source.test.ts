// The journald source against the real journald and journalctl: live entries, journalctl killed
// under it, and a restart resuming from the saved cursor. Every wait is a poll with a timeout.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EventIdGenerator, type SourceState } from "../../../src/events/index.js";
import { JournaldSource, loadJournalCursor } from "../../../src/sources/journald/index.js";
import { IS_ROOT, run, waitFor } from "../../helpers/system.js";
import { JOURNALCTL, collector, ensureJournald, journalWrite, unique } from "../../helpers/journald.js";

describe.skipIf(!IS_ROOT)("the journald source, live", () => {
  let dir: string;
  const running: JournaldSource[] = [];
  const source = (o: { cursorFile?: string; backoffMs?: number } = {}) => {
    const s = new JournaldSource({ journalctl: JOURNALCTL, nodeId: "node-1", ids: new EventIdGenerator(), ...o });
    running.push(s);
    return s;
  };

  beforeAll(async () => {
    await ensureJournald();
    dir = mkdtempSync(join(tmpdir(), "clawav-journald-"));
  });
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("an sshd entry of the authpriv facility arrives as an auth log event", async () => {
    const c = collector();
    const src = source();
    await src.start(c.emit);
    const id = unique("sshd-msg");
    await journalWrite({ SYSLOG_IDENTIFIER: "sshd", SYSLOG_FACILITY: "10", SYSLOG_PID: "4242", MESSAGE: `Failed password for invalid user ${id} from 192.0.2.7 port 22 ssh2` });
    const e = await waitFor("the sshd entry", () => c.events.find((x) => x.log?.message.includes(id)));
    expect(e).toMatchObject({ source: "journald", kind: "log", node_id: "node-1", fidelity: "userspace", log: { log: "auth", file: "journal", program: "sshd", pid: 4242, host: hostname(), message: `Failed password for invalid user ${id} from 192.0.2.7 port 22 ssh2` } });
    // The journal's own time of the entry (its microseconds as milliseconds), not the time it was read.
    const stored = await run(JOURNALCTL, ["--no-pager", "--output=json", `MESSAGE=${e.log!.message}`]);
    expect(e.ts).toBe(Number((JSON.parse(stored.stdout) as { __REALTIME_TIMESTAMP: string }).__REALTIME_TIMESTAMP) / 1000);
    expect(src.status()).toMatchObject({ name: "journald", state: "running", parse_errors: 0, drops: 0, fidelity: "userspace" });
    expect(src.status().events).toBe(c.events.filter((x) => x.kind === "log").length);
  });

  it("an entry without MESSAGE is counted with its reason, and entries after it still arrive", async () => {
    const c = collector();
    const src = source();
    await src.start(c.emit);
    const prog = unique("nomsg");
    await journalWrite({ SYSLOG_IDENTIFIER: prog, NOTE: "no message here" });
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "after" });
    await waitFor("the entry after", () => c.logs(prog)[0]);
    expect(c.logs(prog).map((e) => e.log?.message)).toEqual(["after"]);
    expect(src.status().parse_errors).toBe(1);
    expect(src.status().detail).toContain("last bad line: entry without MESSAGE");
  });

  it("journalctl killed: one source_down:journald event, then entries again (those written meanwhile too)", async () => {
    const c = collector();
    const src = source({ backoffMs: 300 });
    const states: SourceState[] = [];
    await src.start((e) => {
      if (e.kind === "sensor") states.push(src.status().state);
      c.emit(e);
    });
    const prog = unique("restart");
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "before" });
    await waitFor("the entry before the kill", () => c.logs(prog)[0]);
    const pid = src.childPid!;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    const down = await waitFor("the source_down event", () => c.events.find((e) => e.kind === "sensor"));
    expect(down).toMatchObject({ source: "journald", kind: "sensor", node_id: "node-1", sensor: { condition: "source_down:journald" } });
    expect(down.sensor?.detail).toMatch(/^journalctl exited \(SIGKILL\).*; restarting$/);
    expect(states).toEqual(["down"]);
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "during" });
    await waitFor("a new journalctl", () => (src.childPid !== undefined && src.childPid !== pid ? true : undefined));
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "after" });
    await waitFor("the entry after the restart", () => c.logs(prog).find((e) => e.log?.message === "after"));
    // Resumed after the last entry read: nothing lost, nothing read twice.
    expect(c.logs(prog).map((e) => e.log?.message)).toEqual(["before", "during", "after"]);
    expect(c.events.filter((e) => e.kind === "sensor")).toHaveLength(1);
    expect(src.details()).toMatchObject({ restarts: 1 });
    expect(src.status().state).toBe("running");
  });

  it("a restart on the saved cursor delivers exactly what was written after the last commit", async () => {
    const cursorFile = join(dir, "journald.cursor");
    // A temp file left behind with a looser mode must not make the cursor readable to others.
    writeFileSync(`${cursorFile}.tmp`, "", { mode: 0o644 });
    const prog = unique("cursor");
    const first = collector();
    const a = source({ cursorFile });
    await a.start(first.emit);
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "one" });
    await waitFor("entry one", () => first.logs(prog)[0]);
    a.commit(true);
    await a.stop();
    expect(a.status().state).toBe("stopped");
    expect(a.details()).toEqual({ restarts: 0, cursor_saved: true });
    expect(statSync(cursorFile).mode & 0o777).toBe(0o600);
    const saved = readFileSync(cursorFile, "utf8").trim();
    expect(loadJournalCursor(cursorFile)).toBe(saved);
    expect(saved).toMatch(/^s=[0-9a-f]+;i=[0-9a-f]+;b=[0-9a-f]+;m=[0-9a-f]+;t=[0-9a-f]+;x=[0-9a-f]+$/);

    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "two" });
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "three" });
    const second = collector();
    const b = source({ cursorFile });
    await b.start(second.emit);
    // An entry written after the restart marks how far to wait: a repeat would come before it.
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "end" });
    await waitFor("the end marker", () => second.logs(prog).find((e) => e.log?.message === "end"));
    expect(second.logs(prog).map((e) => e.log?.message)).toEqual(["two", "three", "end"]);
    expect(first.logs(prog).map((e) => e.log?.message)).toEqual(["one"]);
  });

  it("a fresh start without a cursor file begins at the end, and saves its place at once", async () => {
    const cursorFile = join(dir, "fresh.cursor");
    const prog = unique("fresh");
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "old" });
    const c = collector();
    const src = source({ cursorFile });
    await src.start(c.emit);
    expect(src.details()).toEqual({ restarts: 0, cursor_saved: true });
    expect(loadJournalCursor(cursorFile)).toBeDefined();
    // Written the moment start() returned: journalctl may not have opened the journal yet.
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "new" });
    await waitFor("the new entry", () => c.logs(prog)[0]);
    expect(c.logs(prog).map((e) => e.log?.message)).toEqual(["new"]);
  });

  it("a saved cursor journalctl refuses is said, dropped, and reading goes on from the end", async () => {
    const cursorFile = join(dir, "refused.cursor");
    // Shaped like a cursor (so it is handed on), but not one journalctl can seek to.
    writeFileSync(cursorFile, "a=1\n");
    const c = collector();
    const src = source({ cursorFile, backoffMs: 100 });
    await src.start(c.emit);
    const down = await waitFor("the source_down event", () => c.events.find((e) => e.kind === "sensor"));
    expect(down.sensor?.detail).toMatch(/^journalctl exited \(code 1\): Failed to seek to cursor.*cursor a=1 refused.*; restarting$/);
    await waitFor("the restart", () => (src.details().restarts === 1 && src.childPid !== undefined ? true : undefined));
    const prog = unique("refused");
    await journalWrite({ SYSLOG_IDENTIFIER: prog, MESSAGE: "goes on" });
    await waitFor("an entry after the restart", () => c.logs(prog)[0]);
    expect(c.events.filter((e) => e.kind === "sensor")).toHaveLength(1);
  });

  it("a cursor file holding something else is no cursor", () => {
    const f = join(dir, "garbage.cursor");
    writeFileSync(f, "--after-cursor=x; rm -rf /\n");
    expect(loadJournalCursor(f)).toBeUndefined();
    expect(loadJournalCursor(join(dir, "missing.cursor"))).toBeUndefined();
  });

  it("stop() ends journalctl and resolves once it has exited", async () => {
    const src = source();
    await src.start(() => {});
    const pid = src.childPid!;
    await src.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(src.status().state).toBe("stopped");
    expect(src.childPid).toBeUndefined();
  });
});
