import { accessSync, constants, existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../../config/index.js";
import type { Event, EventIdGenerator } from "../../events/index.js";
import type { Logger } from "../../log/index.js";
import type { Source, SourceStatus } from "../../events/index.js";
import { createAuditAssembler, type AuditAssembler } from "./assemble.js";
import { loadCursor, saveCursor, type Cursor } from "./cursor.js";
import type { Line } from "./lines.js";
import { clawavRules, enableAudit, formatRule, installRules, readAuditStatus, type AuditStatus } from "./rules.js";
import { ruleContextFor } from "./rule-context.js";
import { LogTailer } from "./tail.js";

export interface AuditdSourceDeps {
  config: Config;
  nodeId: string;
  ids: EventIdGenerator;
  log: Logger;
  /** Where the cursor lives (in the state dir). */
  cursorFile: string;
  isRoot: boolean;
}

/** Why the auditd source cannot run here, or undefined when it can. */
export function auditdUnavailable(config: Config, isRoot: boolean): string | undefined {
  if (!config.auditd.enabled) return "disabled in config (auditd.enabled = false)";
  try {
    accessSync(config.auditd.log_path, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? `${config.auditd.log_path} does not exist: is auditd installed and running? (apt-get install auditd)`
      : `${config.auditd.log_path} is not readable (${code}): run clawav as root`;
  }
  if (!isRoot) return "not root: cannot read the audit status or install rules";
  return undefined;
}

/**
 * The auditd source: installs clawav's rules, tails audit.log from the saved cursor, assembles
 * records into events, and watches the kernel's own loss counter. The cursor is saved only at
 * points where no event is half-assembled, so a restart repeats no event and loses none.
 */
export class AuditdSource implements Source {
  readonly name = "auditd";
  private readonly asm: AuditAssembler;
  private tailer: LogTailer | undefined;
  private emit: (e: Event) => void = () => {};
  private state: SourceStatus["state"] = "starting";
  private detail: string | undefined;
  private safe: Cursor | undefined;
  private savedAt = 0;
  private lastStatus: AuditStatus | undefined;
  private kernelLost = 0;
  private timers: NodeJS.Timeout[] = [];
  /** Conditions that blind clawav, each raised once when it begins (and logged when it ends). */
  private blind = { audit_disabled: false, auditd_stopped: false, audit_log_missing: false };
  private restoreFailed = false;

  constructor(private readonly d: AuditdSourceDeps) {
    this.asm = createAuditAssembler({ nodeId: d.nodeId, ids: d.ids, eoeTimeoutMs: d.config.auditd.eoe_timeout_ms });
  }

  start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    const { config, log } = this.d;
    if (this.d.isRoot && config.auditd.install_rules) {
      const r = installRules(clawavRules(ruleContextFor(config)), config.auditd.backlog_limit);
      log.info("audit rules", { added: r.added.length, present: r.present.length, refused: r.failed.length, backlog_limit: r.backlogRaisedTo });
      for (const f of r.failed) log.warn("audit rule refused", { rule: formatRule(f.rule), reason: f.reason });
    }
    const cursor = loadCursor(this.d.cursorFile);
    this.tailer = new LogTailer({
      path: config.auditd.log_path,
      start: cursor ?? "end",
      onLines: (lines) => this.onLines(lines),
    });
    this.tailer.start();
    // A cursor from the first moment: a crash before the first commit must not restart at the end.
    // It is where reading began, not where the first read ended: the lines read at start are
    // queued, not yet judged, and a crash now must read them again.
    this.safe = this.tailer.startedAt;
    this.commit(true);
    this.state = "running";
    this.detail = cursor ? `resumed at inode ${cursor.inode} offset ${cursor.offset}` : "started at the end of the log";
    if (this.tailer.stats.cursorLost > 0) log.warn("saved cursor's file is gone (rotated past num_logs); read the current log from its start");
    let loggedErrors = 0;
    let loggedAt = 0;
    const tick = setInterval(() => {
      for (const e of this.asm.tick(Date.now())) this.emit(e);
      // Lines clawav cannot read are said in its log (at most once a minute, with the newest), not only counted.
      const errs = this.asm.stats.parseErrors;
      if (errs > loggedErrors && Date.now() - loggedAt >= 60_000) {
        const last = this.asm.recentErrors[this.asm.recentErrors.length - 1];
        log.warn("audit log lines clawav could not parse", { new: errs - loggedErrors, total: errs, ...(last ? { line: last.line, reason: last.reason, excerpt: last.excerpt } : {}) });
        loggedErrors = errs;
        loggedAt = Date.now();
      }
      this.noteSafePoint();
      if (this.tailer?.lastError) {
        this.state = "degraded";
        this.detail = this.tailer.lastError;
      } else if (this.state === "degraded") this.state = "running";
    }, 250);
    tick.unref();
    this.timers.push(tick);
    if (this.d.isRoot) {
      this.pollStatus();
      const st = setInterval(() => this.pollStatus(), config.auditd.status_interval * 1000);
      st.unref();
      this.timers.push(st);
    }
    return Promise.resolve();
  }

  stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.tailer?.stop();
    for (const e of this.asm.end()) this.emit(e);
    this.noteSafePoint();
    this.state = "stopped";
    return Promise.resolve();
  }

  status(): SourceStatus {
    const s: SourceStatus = {
      name: this.name,
      state: this.state,
      events: this.asm.stats.events,
      parse_errors: this.asm.stats.parseErrors,
      drops: 0,
      kernel_lost: this.kernelLost,
      fidelity: "kernel",
    };
    if (this.detail !== undefined) s.detail = this.detail;
    return s;
  }

  /** Extra figures for /api/status. */
  details(): Record<string, unknown> {
    return { tail: this.tailer?.stats, assembler: this.asm.stats, kernel: this.lastStatus, recent_parse_errors: this.asm.recentErrors.slice(-5) };
  }

  private onLines(lines: Line[]): void {
    const now = Date.now();
    for (const line of lines) for (const e of this.asm.push(line, now)) this.emit(e);
    this.noteSafePoint();
  }

  private noteSafePoint(): void {
    if (this.asm.openCount === 0) this.safe = this.tailer?.position();
  }

  commit(force: boolean): void {
    if (!this.safe) return;
    const now = Date.now();
    if (!force && now - this.savedAt < 200) return;
    try {
      saveCursor(this.d.cursorFile, this.safe);
      this.savedAt = now;
    } catch (e) {
      this.d.log.error("cannot save the audit cursor", { file: this.d.cursorFile, error: String(e) });
    }
  }

  private pollStatus(): void {
    const st = readAuditStatus();
    if (!st) {
      this.state = "degraded";
      this.detail = "auditctl -s failed: cannot read the kernel's audit status";
      return;
    }
    const prev = this.lastStatus;
    this.lastStatus = st;
    this.kernelLost = st.lost;
    if (st.pid === 0) {
      this.state = "degraded";
      this.detail = "auditd is not running (kernel audit pid 0): no new records reach the log";
    }
    // Each of these blinds clawav; an agent (or a root it tricked) would do exactly this first.
    const path = this.d.config.auditd.log_path;
    if (st.enabled !== 0) this.restoreFailed = false;
    this.blindWhile("audit_disabled", st.enabled === 0, `the kernel's audit is disabled (auditctl -e 0): no audit record is made${st.enabled === 0 ? this.restoreAudit() : ""}`);
    this.blindWhile("auditd_stopped", st.pid === 0, "auditd is not running (kernel audit pid 0): records go to the kernel log or are lost");
    this.blindWhile("audit_log_missing", !existsSync(path), `${path} is gone (deleted or moved away with no new log in its place)`);
    if (prev && st.lost > prev.lost) {
      const delta = st.lost - prev.lost;
      this.emit({
        id: this.d.ids.take(),
        ts: Date.now(),
        source: this.name,
        kind: "sensor",
        node_id: this.d.nodeId,
        fidelity: "kernel",
        sensor: { condition: "kernel_lost", detail: `kernel audit lost ${delta} records (backlog ${st.backlog}/${st.backlog_limit})`, value: st.lost, delta },
      });
    }
  }

  /** Turns the kernel's audit back on when allowed; says what came of it, for the alert. */
  private restoreAudit(): string {
    if (!this.d.isRoot || !this.d.config.auditd.restore_enabled) return "";
    const r = enableAudit();
    if (r.ok) {
      this.d.log.warn("kernel audit was off: turned it back on", { by: "auditctl -e 1" });
      return "; clawav turned it back on (auditctl -e 1): what ran while it was off went unrecorded";
    }
    if (!this.restoreFailed) this.d.log.error("kernel audit is off and cannot be turned back on", { error: r.error });
    this.restoreFailed = true;
    return `; clawav could not turn it back on: ${r.error}`;
  }

  private blindWhile(condition: keyof AuditdSource["blind"], now: boolean, detail: string): void {
    const was = this.blind[condition];
    this.blind[condition] = now;
    if (now && !was) this.emit({ id: this.d.ids.take(), ts: Date.now(), source: this.name, kind: "sensor", node_id: this.d.nodeId, fidelity: "kernel", sensor: { condition, detail } });
    else if (!now && was) this.d.log.info("audit sensor condition ended", { condition });
  }
}

export function cursorFileIn(stateDir: string): string {
  return join(stateDir, "auditd.cursor");
}
