import { afterEach, describe, expect, it } from "vitest";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { AuditChain, formatLine, GENESIS_PREV, readKey, verifyChain, type ChainOptions } from "../../src/chain/index.js";
import { runCli, sleep, waitFor } from "../helpers/system.js";
import { PACKAGE_ROOT } from "../../src/version.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function opts(checkpointEvery = 1000): ChainOptions {
  const dir = mkdtempSync(join(tmpdir(), "clawav-chain-"));
  dirs.push(dir);
  return { path: join(dir, "audit.chain"), keyFile: join(dir, "chain.key"), checkpointFile: join(dir, "audit.chain.checkpoints"), fsync: "always", fsyncIntervalMs: 50, checkpointEvery };
}

function alertBody(i: number) {
  return { ts: 1000 + i, type: "alert", event_id: i.toString(16).padStart(16, "0"), alert: { rule: `r${i}`, event: { ts: 1000 + i, serial: i, source: "auditd" } } };
}

function write(o: ChainOptions, n: number): AuditChain {
  const c = AuditChain.open(o);
  for (let i = 1; i <= n; i++) c.append(alertBody(i));
  return c;
}

async function verifyCli(o: ChainOptions) {
  return runCli(["verify-audit", o.path]);
}

describe("audit chain", () => {
  it("appends keyed, linked lines that verify; key and chain are 0600", async () => {
    const o = opts(2);
    const c = write(o, 5);
    c.close();
    const r = await verifyChain(o.path, readKey(o.keyFile), o.checkpointFile);
    expect(r).toMatchObject({ ok: true, entries: 5, checkpoints: 3 });
    expect(statSync(o.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(o.path).mode & 0o777).toBe(0o600);
    expect(statSync(o.checkpointFile).mode & 0o777).toBe(0o600);
    const first = JSON.parse(readFileSync(o.path, "utf8").split("\n")[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(["seq", "ts", "type", "event_id", "alert", "prev", "mac"]);
    expect(first.prev).toBe(GENESIS_PREV);
    const cli = await verifyCli(o);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^OK: 5 entries, head [0-9a-f]{64}\n$/);
  });

  it("continues the sequence when reopened", async () => {
    const o = opts();
    write(o, 3).close();
    const c = AuditChain.open(o);
    expect(c.length).toBe(3);
    expect(c.lastAlerted()).toEqual({ ts: 1003, serial: 3, source: "auditd" });
    c.append(alertBody(4));
    c.close();
    expect(await verifyChain(o.path, readKey(o.keyFile))).toMatchObject({ ok: true, entries: 4 });
  });

  const tamper: [string, (lines: string[], o: ChainOptions) => string[], RegExp][] = [
    ["an edited line", (l) => { l[2] = l[2]!.replace('"rule":"r3"', '"rule":"rX"'); return l; }, /:3: bad MAC/],
    ["a deleted line", (l) => { l.splice(1, 1); return l; }, /:2: sequence gap: expected seq 2, found 3/],
    ["two lines swapped", (l) => { [l[1], l[2]] = [l[2]!, l[1]!]; return l; }, /:2: sequence gap/],
    ["a chain recomputed without the key", (l) => {
      // The attacker rewrites every line with a key of their own, consistently.
      const fake = randomBytes(32);
      let prev = GENESIS_PREV;
      return l.map((line, i) => {
        const e = JSON.parse(line) as { ts: number; type: string; event_id: string; alert: unknown };
        const f = formatLine(fake, i + 1, prev, { ts: e.ts, type: e.type, event_id: e.event_id, alert: i === 2 ? { rule: "innocent" } : e.alert });
        prev = f.mac;
        return f.line;
      });
    }, /:1: bad MAC/],
  ];
  for (const [what, edit, want] of tamper) {
    it(`fails verification on ${what}, naming the line`, async () => {
      const o = opts();
      write(o, 5).close();
      const lines = readFileSync(o.path, "utf8").trimEnd().split("\n");
      writeFileSync(o.path, edit(lines, o).join("\n") + "\n");
      const r = await verifyCli(o);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(want);
    });
  }

  it("detects truncation against the checkpoints", async () => {
    const o = opts(2);
    write(o, 6).close();
    const lines = readFileSync(o.path, "utf8").trimEnd().split("\n");
    writeFileSync(o.path, lines.slice(0, 3).join("\n") + "\n");
    const r = await verifyCli(o);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/:4: truncated: a checkpoint says seq 6 existed .*the chain ends at seq 3/);
  });

  it("cuts a torn last line, keeps it aside, and records the repair in the chain", async () => {
    const o = opts();
    write(o, 3).close();
    const torn = '{"seq":4,"ts":1,"type":"alert","ali';
    appendFileSync(o.path, torn);
    const c = AuditChain.open(o);
    expect(c.report.repaired).toMatchObject({ bytes: torn.length, movedTo: `${o.path}.torn` });
    c.close();
    expect(readFileSync(`${o.path}.torn`, "utf8")).toBe(torn);
    const last = JSON.parse(readFileSync(o.path, "utf8").trimEnd().split("\n").pop()!) as { seq: number; type: string; data: { removed_bytes: number } };
    expect(last).toMatchObject({ seq: 4, type: "repair", data: { removed_bytes: torn.length } });
    expect((await verifyCli(o)).stdout).toMatch(/^OK: 4 entries/);
  });

  it("reports a tail that does not verify when reopened", () => {
    const o = opts();
    write(o, 3).close();
    const lines = readFileSync(o.path, "utf8").trimEnd().split("\n");
    lines[2] = lines[2]!.replace('"r3"', '"zz"');
    writeFileSync(o.path, lines.join("\n") + "\n");
    const c = AuditChain.open(o);
    expect(c.report.tailProblem).toMatch(/bad MAC/);
    c.close();
  });

  it("says why when the key cannot be read (exit 66, no stack)", async () => {
    const o = opts();
    write(o, 1).close();
    rmSync(o.keyFile);
    const r = await verifyCli(o);
    expect(r.code).toBe(66);
    expect(r.stderr).toMatch(/cannot read the chain key .*chain\.key \(ENOENT\)/);
  });

  it("survives SIGKILL of a writer mid-stream: verifies, nothing doubled", async () => {
    const o = opts(50);
    const script = join(PACKAGE_ROOT, "dist", "chain", "index.js");
    const code = `import { AuditChain } from ${JSON.stringify(script)};
      const c = AuditChain.open(${JSON.stringify({ ...o, fsync: "never" })});
      let i = 0; for (;;) { i++; c.append({ ts: i, type: "alert", event_id: String(i), alert: { n: i } }); if (i % 500 === 0) await new Promise((r) => setImmediate(r)); }`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: "ignore" });
    await waitFor("the writer to write", () => (existsSync(o.path) && statSync(o.path).size > 200_000 ? true : undefined));
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    await sleep(50);
    const c = AuditChain.open(o); // repairs a torn line if the kill landed mid-write
    const before = c.length;
    c.append({ ts: 0, type: "start", data: {} });
    c.close();
    const r = await verifyChain(o.path, readKey(o.keyFile), o.checkpointFile);
    expect(r).toMatchObject({ ok: true });
    const ns = readFileSync(o.path, "utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as { alert?: { n: number } }).alert?.n).filter((n) => n !== undefined);
    expect(new Set(ns).size).toBe(ns.length);
    expect(ns.length).toBeGreaterThan(100);
    expect(r.ok && r.entries).toBe(before + 1);
  });
});
