// The real journald for the journald source's tests: started when none runs (it needs no systemd
// as PID 1, only its runtime folder), and entries written to it as programs write them.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import type { Event } from "../../src/events/index.js";
import { run, waitFor } from "./system.js";

export const JOURNALD = "/lib/systemd/systemd-journald";
export const JOURNALCTL = existsSync("/usr/bin/journalctl") ? "/usr/bin/journalctl" : "/bin/journalctl";
const SOCKET = "/run/systemd/journal/socket";
const DROP_IN_DIR = "/run/systemd/journald.conf.d";

/** A name no other test, run or program writes, for telling one's own entries apart. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/**
 * Makes sure journald runs and takes entries; idempotent. A socket file alone proves nothing (a
 * journald that died leaves it), so an entry is written and read back.
 */
export async function ensureJournald(): Promise<void> {
  if (spawnSync("pidof", ["systemd-journald"], { stdio: "ignore" }).status !== 0 || !existsSync(SOCKET)) {
    if (!existsSync(JOURNALD)) throw new Error(`${JOURNALD} is missing: install systemd (journald and journalctl) for the journald source's tests`);
    mkdirSync("/run/systemd/journal", { recursive: true });
    // Debian's journald is built with Audit=no: at start it switches the kernel's audit OFF, and
    // every later test on the real auditd sees nothing (CI went blind this way). An empty Audit=
    // tells it to leave the flag as it is. /run, so nothing of the test outlives a reboot.
    mkdirSync(DROP_IN_DIR, { recursive: true });
    writeFileSync(`${DROP_IN_DIR}/clawav-tests.conf`, "# Written by clawav's tests: leave the kernel's audit flag alone.\n[Journal]\nAudit=\n", { mode: 0o644 });
    spawn(JOURNALD, [], { detached: true, stdio: "ignore" }).unref();
  }
  const probe = unique("clawav-journald-probe");
  await waitFor(
    "journald to take an entry",
    async () => {
      // A journald just started may not listen yet (the old socket file refuses): try again.
      if (!(await journalWrite({ SYSLOG_IDENTIFIER: probe, MESSAGE: "probe" }).then(() => true, () => false))) return undefined;
      const r = await run(JOURNALCTL, ["--no-pager", "--quiet", "--output=cat", `SYSLOG_IDENTIFIER=${probe}`]);
      return r.stdout.includes("probe") ? true : undefined;
    },
    15_000,
    200,
  );
}

/** One entry through journald's native protocol, as `logger --journald` sends it. */
export async function journalWrite(fields: Record<string, string>): Promise<void> {
  const input = Object.entries(fields)
    .map(([k, v]) => `${k}=${v}\n`)
    .join("");
  const r = await run("logger", ["--journald"], { input });
  if (r.code !== 0) throw new Error(`logger --journald failed: ${r.stderr}`);
}

/** Collects what a source emits. */
export function collector(): { events: Event[]; emit: (e: Event) => void; logs: (program: string) => Event[] } {
  const events: Event[] = [];
  return {
    events,
    emit: (e) => events.push(e),
    logs: (program) => events.filter((e) => e.kind === "log" && e.log?.program === program),
  };
}
