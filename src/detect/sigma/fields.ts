// What a Sigma field means on a clawav event, per log source. This table is the contract the
// README documents: a rule naming a field that is not here is refused with the field named.
import type { Event } from "../../events/index.js";
import { SigmaRefusal } from "./errors.js";
import type { FieldValue } from "./value.js";

export const LOG_SOURCES = ["process_creation", "file_event", "network_connection", "auditd", "syslog"] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

/**
 * One event as Sigma sees it. Derived values (the command line, the audit records) are made once
 * per event however many rules ask, and only if one asks.
 */
/**
 * Which log lines a builtin rule's `service` names: the log file for syslog and auth, else the
 * program that writes the lines (as its syslog tag).
 */
const SERVICE_PROGRAMS: Record<string, readonly string[]> = {
  sshd: ["sshd"],
  sudo: ["sudo"],
  su: ["su"],
  cron: ["cron", "crond"],
  vsftpd: ["vsftpd"],
  clamav: ["clamd", "freshclam", "clamav", "clamav-daemon"],
  guacamole: ["guacd", "guacamole"],
};

/** The filter of a builtin log source: none (every line), a log file, or programs. */
export function serviceFilter(service: string | undefined): ((x: SigmaInput) => boolean) | undefined {
  if (service === undefined) return () => true;
  if (service === "syslog" || service === "auth") return (x) => x.e.log?.log === service;
  const progs = SERVICE_PROGRAMS[service];
  if (!progs) return undefined;
  return (x) => x.e.log !== undefined && progs.includes(x.e.log.program.toLowerCase());
}

export class SigmaInput {
  private cmd: string | undefined;
  private pcmd: string | null | undefined;
  private recs: AuditView[] | undefined;
  constructor(readonly e: Event) {}

  /** A log line as rsyslog wrote its tag and message: what a builtin rule's keywords search. */
  get logLine(): string {
    const l = this.e.log;
    return l ? `${l.program}${l.pid !== undefined ? `[${l.pid}]` : ""}: ${l.message}` : "";
  }

  get commandLine(): string {
    return (this.cmd ??= (this.e.process?.argv ?? []).join(" "));
  }
  get parentCommandLine(): string | undefined {
    if (this.pcmd === undefined) this.pcmd = this.e.process?.parent_argv?.join(" ") ?? null;
    return this.pcmd ?? undefined;
  }
  /** The event's audit records, each a view of its fields as the record had them. */
  get records(): readonly AuditView[] {
    return (this.recs ??= auditViews(this.e, this));
  }
}

export type Getter = (x: SigmaInput) => FieldValue;

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const parentExe = (x: SigmaInput) => {
  const exe = x.e.process?.lineage?.[0]?.exe;
  return exe === undefined || exe === "?" ? undefined : exe;
};

// ParentCommandLine is known on process_creation only (enrich/ puts the parent's argv on execs).
const PROCESS_FIELDS: Record<string, Getter> = {
  Image: (x) => x.e.process?.exe,
  // The name the executable has by content (a renamed copy of curl is still curl), else its file name.
  OriginalFileName: (x) => x.e.process?.identity?.tool ?? (x.e.process?.exe !== undefined ? baseName(x.e.process.exe) : undefined),
  CommandLine: (x) => (x.e.process ? x.commandLine : undefined),
  CurrentDirectory: (x) => x.e.process?.cwd,
  ParentImage: parentExe,
  ParentCommandLine: (x) => x.parentCommandLine,
  User: (x) => x.e.process?.user ?? x.e.process?.uid,
  LogonId: (x) => x.e.process?.auid ?? undefined,
  ProcessId: (x) => x.e.process?.pid,
  ParentProcessId: (x) => x.e.process?.ppid,
};

const FILE_FIELDS: Record<string, Getter> = {
  ...PROCESS_FIELDS,
  TargetFilename: (x) => x.e.file?.path,
};

const NET_FIELDS: Record<string, Getter> = {
  ...PROCESS_FIELDS,
  DestinationIp: (x) => x.e.net?.address,
  DestinationPort: (x) => x.e.net?.port,
  DestinationHostname: (x) => x.e.net?.resolved_host ?? x.e.net?.host,
  // clawav audits connect(), so every connection it sees was initiated here.
  Initiated: (x) => (x.e.syscall?.name === "connect" ? "true" : undefined),
};

/** Fields clawav knows it cannot give, with the reason (better than "unknown field"). */
const KNOWN_ABSENT: Record<string, string> = {
  SourceIp: "clawav audits outgoing connects, whose records carry the destination only",
  SourcePort: "clawav audits outgoing connects, whose records carry the destination only",
  Hashes: "clawav hashes executables for identity but does not expose hashes as a field",
  Product: "ELF files carry no product name",
  Company: "ELF files carry no company name",
  Description: "ELF files carry no description",
  IntegrityLevel: "a Windows notion",
};

/** Fields of audit records a Sigma auditd rule may name (the record it is in decides the value). */
export const AUDITD_FIELDS = new Set([
  "type", "SYSCALL", "syscall", "arch", "success", "exit", "key", "exe", "comm", "pid", "ppid", "uid", "euid", "suid", "fsuid", "gid", "egid", "auid", "ses", "tty",
  "argc", "name", "nametype", "item", "inode", "mode", "ouid", "cwd", "proctitle",
  "unit", "acct", "op", "res", "hostname", "addr", "terminal", "id", "cmd", "old", "new",
]);
const AUDIT_ARG = /^a\d+$/;

/** The getter of `field` in `source`; refuses a field clawav does not have, naming it. */
/** Sigma's builtin rules search the line's text (keywords); clawav names these parts too. */
const LOG_FIELDS: Record<string, Getter> = {
  program: (x) => x.e.log?.program,
  message: (x) => x.e.log?.message,
  host: (x) => x.e.log?.host,
  pid: (x) => x.e.log?.pid,
};

export function fieldGetter(source: Exclude<LogSource, "auditd">, field: string): Getter {
  const table = source === "process_creation" ? PROCESS_FIELDS : source === "file_event" ? FILE_FIELDS : source === "syslog" ? LOG_FIELDS : NET_FIELDS;
  const g = Object.hasOwn(table, field) ? table[field] : undefined;
  if (g) return g;
  throw new SigmaRefusal(`field ${field}`, KNOWN_ABSENT[field] ?? `not a field of ${source} events in clawav (it has ${Object.keys(table).join(", ")})`);
}

export function checkAuditdField(field: string): void {
  if (!AUDITD_FIELDS.has(field) && !AUDIT_ARG.test(field)) throw new SigmaRefusal(`field ${field}`, "not a field of the audit records clawav assembles");
}

/** One audit record of an event: its type, its fields, and the text keywords search. */
export interface AuditView {
  type: string;
  fields: { get(field: string): FieldValue };
  /** Texts a keyword may appear in: the record rendered as key=value, and for EXECVE the command line. */
  texts: readonly string[];
}

/** The fields each rebuilt record type has (a user-space record has its own, any of AUDITD_FIELDS). */
export const RECORD_FIELDS: Readonly<Record<string, (f: string) => boolean>> = {
  SYSCALL: (f) => f === "type" || f === "syscall" || SYSCALL_KEYS_SET.has(f),
  EXECVE: (f) => f === "type" || f === "argc" || AUDIT_ARG.test(f),
  PATH: (f) => f === "type" || PATH_KEYS_SET.has(f),
  CWD: (f) => f === "type" || f === "cwd",
  PROCTITLE: (f) => f === "type" || f === "proctitle",
};

const SYSCALL_KEYS = ["SYSCALL", "arch", "success", "exit", "a0", "a1", "a2", "a3", "pid", "ppid", "uid", "euid", "gid", "egid", "auid", "ses", "tty", "comm", "exe", "key"];
const PATH_KEYS = ["item", "name", "inode", "dev", "mode", "ouid", "nametype"];
const SYSCALL_KEYS_SET = new Set(SYSCALL_KEYS);
const PATH_KEYS_SET = new Set(PATH_KEYS);

function render(type: string, keys: readonly string[], get: (k: string) => FieldValue): string {
  let s = `type=${type}`;
  for (const k of keys) {
    const v = get(k);
    if (v !== undefined && v !== null) s += typeof v === "string" && /[\s"]/.test(v) ? ` ${k}="${v}"` : ` ${k}=${v}`;
  }
  return s;
}

/** A record rebuilt from the event: its fields read on demand, its text rendered only if a keyword asks. */
class RecordView implements AuditView {
  readonly fields: { get(field: string): FieldValue };
  private rendered: string[] | undefined;
  constructor(
    readonly type: string,
    private readonly own: (f: string) => FieldValue,
    private readonly keys: () => readonly string[],
    private readonly e: Event,
    private readonly extra?: () => string[],
  ) {
    this.fields = this;
  }
  get(f: string): FieldValue {
    return f === "type" ? this.type : this.own(f);
  }
  get texts(): readonly string[] {
    if (!this.rendered) {
      const raw = (this.e.raw ?? []).filter((r) => r.type === this.type).map((r) => r.text);
      this.rendered = [render(this.type, this.keys(), (k) => this.get(k)), ...raw, ...(this.extra?.() ?? [])];
    }
    return this.rendered;
  }
}

/** a0..aN: the index, or -1. */
function argIndex(f: string): number {
  return f.length > 1 && f.charCodeAt(0) === 97 && AUDIT_ARG.test(f) ? Number(f.slice(1)) : -1;
}

/**
 * The records an assembled event came from, rebuilt from what clawav kept of them: SYSCALL
 * (syscall name and raw args), EXECVE (argv as a0..aN), one PATH per item, CWD, PROCTITLE, and a
 * user-space record's own fields. With `--raw` the original lines are searched by keywords too.
 * Fields are read through a switch, not copied into maps: most records are asked for one field.
 */
function auditViews(e: Event, x: SigmaInput): AuditView[] {
  if (e.source !== "auditd") return [];
  const out: AuditView[] = [];
  const types = e.record_types ?? [];
  const p = e.process;
  const add = (type: string, own: (f: string) => FieldValue, keys: () => readonly string[], extra?: () => string[]) => {
    out.push(new RecordView(type, own, keys, e, extra));
  };
  if (e.syscall) {
    const s = e.syscall;
    add("SYSCALL", (f) => {
      switch (f) {
        case "SYSCALL": case "syscall": return s.name;
        case "arch": return s.arch;
        case "success": return s.success === null ? undefined : s.success ? "yes" : "no";
        case "exit": return s.exit ?? undefined;
        case "key": return s.key;
        case "pid": return p?.pid;
        case "ppid": return p?.ppid;
        case "uid": return p?.uid;
        case "euid": return p?.euid;
        case "gid": return p?.gid;
        case "egid": return p?.egid;
        case "auid": return p?.auid ?? undefined;
        case "ses": return p?.ses ?? undefined;
        case "tty": return p?.tty;
        case "comm": return p?.comm;
        case "exe": return p?.exe;
        default: {
          const i = argIndex(f);
          return i >= 0 ? s.args[i] : undefined;
        }
      }
    }, () => SYSCALL_KEYS);
  } else if (e.fields && types.length > 0) {
    const fs = e.fields;
    add(types[0]!, (f) => (Object.hasOwn(fs, f) ? fs[f] : undefined), () => Object.keys(fs));
  }
  if (p && types.includes("EXECVE")) {
    const argv = p.argv;
    add("EXECVE", (f) => {
      if (f === "argc") return argv.length;
      const i = argIndex(f);
      return i >= 0 ? argv[i] : undefined;
    }, () => ["argc", ...argv.map((_, i) => `a${i}`)], () => [x.commandLine]);
  }
  if (p?.cwd !== undefined && types.includes("CWD")) {
    const cwd = p.cwd;
    add("CWD", (f) => (f === "cwd" ? cwd : undefined), () => ["cwd"]);
  }
  const items = e.file?.items ?? [];
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    add("PATH", (f) => {
      switch (f) {
        case "item": return i;
        case "name": return it.name;
        case "inode": return it.inode;
        case "dev": return it.dev;
        case "mode": return it.mode !== undefined ? `0${it.mode.toString(8)}` : undefined;
        case "ouid": return it.ouid;
        case "nametype": return it.nametype;
        default: return undefined;
      }
    }, () => PATH_KEYS);
  }
  if (p && types.includes("PROCTITLE")) add("PROCTITLE", (f) => (f === "proctitle" ? x.commandLine : undefined), () => ["proctitle"]);
  return out;
}
