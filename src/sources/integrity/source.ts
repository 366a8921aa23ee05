// The agents' identity and memory files (SOUL.md, AGENTS.md, ...): baselined, watched with
// inotify (fs.watch on their folders) and a periodic rescan, and each change is one alert with a
// bounded diff. A protected file is then restored from the baseline; the restore's own write
// leaves the file equal to its baseline, so it raises nothing (no restore loop).
import { spawnSync } from "node:child_process";
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, watch, type FSWatcher, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import type { Event, EventIdGenerator, Source, SourceStatus } from "../../events/index.js";
import type { Logger } from "../../log/index.js";
import { Baseline, sha256 } from "./baseline.js";
import { unifiedDiff } from "./diff.js";

export interface IntegritySpec {
  /** Absolute, or relative to each agent home; `*` matches within one path segment. */
  path: string;
  mode: "protected" | "watched";
}

export interface IntegrityDeps {
  specs: readonly IntegritySpec[];
  homes: readonly string[];
  baselineDir: string;
  rescanMs: number;
  maxDiffLines: number;
  nodeId: string;
  ids: EventIdGenerator;
  log: Logger;
  /** Scans a new or changed skill file (injection and supply-chain patterns); its findings go into the alert. */
  scanText?: (text: string) => { severity: "info" | "warning" | "critical"; line: string }[];
}

const MAX_FILE = 1 << 20;

/** The concrete paths a spec names now (a `*` segment is expanded against what exists). */
export function expandSpec(spec: string, homes: readonly string[]): string[] {
  const roots = spec.startsWith("/") ? [spec] : homes.map((h) => join(h, spec));
  const out: string[] = [];
  for (const r of roots) {
    let paths = ["/"];
    for (const seg of r.split("/").filter(Boolean)) {
      if (!seg.includes("*")) {
        paths = paths.map((p) => join(p, seg));
        continue;
      }
      const re = globRegex(seg);
      paths = paths.flatMap((p) => {
        try {
          return readdirSync(p)
            .filter((n) => re.test(n) && !n.startsWith("."))
            .map((n) => join(p, n));
        } catch {
          return [];
        }
      });
    }
    out.push(...paths);
  }
  return [...new Set(out)];
}

export class IntegritySource implements Source {
  readonly name = "integrity";
  private emit: (e: Event) => void = () => {};
  private baseline: Baseline | undefined;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** The content hash last alerted for a path: the same bad content is one alert, however often seen. */
  private readonly alerted = new Map<string, string>();
  /** Every path being watched, with its mode. */
  private targets = new Map<string, IntegritySpec["mode"]>();
  private timer: NodeJS.Timeout | undefined;
  private state: SourceStatus["state"] = "starting";
  private detail: string | undefined;
  private events = 0;
  readonly counts = { changes: 0, restored: 0, restore_failed: 0, new_files: 0, deleted: 0, accepted: 0 };

  constructor(private readonly d: IntegrityDeps) {}

  start(emit: (e: Event) => void): Promise<void> {
    this.emit = emit;
    try {
      this.baseline = new Baseline(this.d.baselineDir);
    } catch (e) {
      this.state = "degraded";
      this.detail = e instanceof Error ? e.message : String(e);
      this.d.log.error("integrity baseline unreadable", { error: this.detail });
      return Promise.resolve();
    }
    this.resolve(true);
    this.timer = setInterval(() => this.rescan(), this.d.rescanMs);
    this.timer.unref();
    this.state = "running";
    this.d.log.info("integrity watch", { files: this.targets.size, baselined: this.baseline.size, folders: this.watchers.size });
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.state = "stopped";
    return Promise.resolve();
  }

  status(): SourceStatus {
    return { name: this.name, state: this.state, events: this.events, parse_errors: 0, drops: 0, fidelity: "userspace", ...(this.detail ? { detail: this.detail } : { detail: `${this.targets.size} files, ${this.watchers.size} folders watched` }) };
  }

  details(): Record<string, unknown> {
    return { files: [...this.targets.keys()].sort(), ...this.counts };
  }

  /**
   * Takes a change into the baseline (`clawav baseline accept`): the file as it is now, or, with
   * `from`, that file's content, which is then written in place (a protected file is restored on
   * every change, so its new content has to come this way).
   */
  accept(path: string, by: string, from?: string): { path: string; sha256: string; written: boolean } {
    const b = this.baseline;
    if (!b) throw new Error("the integrity baseline is not loaded");
    if (!this.targets.has(path)) throw new Error(`${path} is not a watched identity file (watched: ${[...this.targets.keys()].slice(0, 10).join(", ")})`);
    const cur = readSafe(path);
    const meta = cur.kind === "file" ? cur.st : b.get(path);
    if (!meta) throw new Error(`${path} is not a regular file and has no baseline to take its owner from`);
    let content: Buffer;
    if (from === undefined) {
      if (cur.kind !== "file") throw new Error(`${path} is ${cur.kind === "missing" ? "missing" : cur.what}: nothing to accept (--from gives the content)`);
      content = cur.content;
    } else {
      // The operator's file, named by an admin: read as root, but never through a symlink.
      const f = readSafe(from);
      if (f.kind !== "file") throw new Error(`${from}: ${f.kind === "missing" ? "missing" : f.what}`);
      content = f.content;
    }
    const e = b.set(path, content, { mode: meta.mode, uid: meta.uid, gid: meta.gid }, `accepted by ${by}${from ? ` from ${from}` : ""}`);
    let written = false;
    if (from !== undefined) {
      const r = this.restore(path);
      if (r !== true) throw new Error(`the baseline took ${from}, but writing it to ${path} failed: ${r}`);
      this.counts.restored--;
      written = true;
    }
    this.alerted.delete(path);
    this.counts.accepted++;
    return { path, sha256: e.sha256, written };
  }

  /** Finds the targets (globs may match new files) and watches their folders. */
  private resolve(first: boolean): void {
    const next = new Map<string, IntegritySpec["mode"]>();
    for (const s of this.d.specs) for (const p of expandSpec(s.path, this.d.homes)) if (!next.has(p) || s.mode === "protected") next.set(p, s.mode);
    // Files a spec named before and that went away are still ours (a delete is a change).
    for (const p of this.baseline?.paths() ?? []) if (!next.has(p) && this.targets.has(p)) next.set(p, this.targets.get(p)!);
    for (const p of this.baseline?.paths() ?? []) if (!next.has(p) && first) next.set(p, this.modeOf(p));
    const added = [...next.keys()].filter((p) => !this.targets.has(p));
    this.targets = next;
    for (const p of added) {
      this.watchDir(dirname(p));
      if (first) this.firstLook(p);
      else this.check(p);
    }
  }

  private modeOf(path: string): IntegritySpec["mode"] {
    return this.d.specs.some((s) => s.mode === "protected" && expandSpecMatch(s.path, this.d.homes, path)) ? "protected" : "watched";
  }

  /** At the start: a file with no baseline yet is taken as it is; one with a baseline is checked. */
  private firstLook(path: string): void {
    const b = this.baseline!;
    if (b.get(path)) return this.check(path);
    const r = readSafe(path);
    if (r.kind === "file") b.set(path, r.content, r.st, "first seen");
  }

  private watchDir(dir: string): void {
    if (this.watchers.has(dir) || !existsSync(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, (_type, name) => {
        if (name === null) return this.rescan();
        const p = join(dir, name);
        if (this.targets.has(p)) this.schedule(p);
        // A new folder may hold a new match (skills/NEW/SKILL.md): look again soon.
        else this.schedule("*rescan*");
      });
      w.on("error", () => {
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch {
      // The rescan covers a folder that cannot be watched.
    }
  }

  /** Writes come as several events (open, write, close): judged once they settle. */
  private schedule(key: string): void {
    const t = this.pending.get(key);
    if (t) clearTimeout(t);
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        if (key === "*rescan*") this.resolve(false);
        else this.check(key);
      }, 150),
    );
  }

  private rescan(): void {
    this.resolve(false);
    for (const p of this.targets.keys()) this.check(p);
  }

  private check(path: string): void {
    const b = this.baseline;
    if (!b) return;
    const mode = this.targets.get(path) ?? "watched";
    const base = b.get(path);
    const r = readSafe(path);
    if (r.kind === "missing") {
      if (!base || this.alerted.get(path) === "deleted") return;
      this.alerted.set(path, "deleted");
      this.counts.deleted++;
      const restored = mode === "protected" ? this.restore(path) : undefined;
      this.raise(path, mode, "deleted", `${path} was deleted${restoredText(restored)}`);
      return;
    }
    if (r.kind === "other") {
      if (this.alerted.get(path) === `other:${r.what}`) return;
      this.alerted.set(path, `other:${r.what}`);
      const restored = mode === "protected" && base ? this.restore(path) : undefined;
      this.raise(path, mode, "replaced", `${path} is now ${r.what}${restoredText(restored)}`);
      return;
    }
    const now = r.content;
    const h = sha256(now);
    if (!base) {
      // A new file under a watched pattern (a new skill): reported, then baselined so its next
      // change is a diff against what was reported.
      this.counts.new_files++;
      b.set(path, now, r.st, "new file, reported");
      this.raise(path, mode, "new", `new file ${path} (${now.length} bytes, sha256 ${h.slice(0, 16)}):\n${firstLines(now)}`, now);
      return;
    }
    if (h === base.sha256) {
      this.alerted.delete(path);
      return;
    }
    if (this.alerted.get(path) === h) return;
    this.alerted.set(path, h);
    this.counts.changes++;
    let diff: string;
    try {
      diff = unifiedDiff(b.content(path).toString("utf8"), now.toString("utf8"), { maxLines: this.d.maxDiffLines });
    } catch (e) {
      diff = `(no diff: ${e instanceof Error ? e.message : String(e)})`;
    }
    const restored = mode === "protected" ? this.restore(path) : undefined;
    this.raise(path, mode, "changed", `${path} changed (sha256 ${base.sha256.slice(0, 16)} → ${h.slice(0, 16)})${restoredText(restored)}:\n${diff}`, now);
  }

  /** Puts the baselined content back, as the file's owner; true when done, else the reason. */
  private restore(path: string): true | string {
    const b = this.baseline!;
    const e = b.get(path)!;
    try {
      const content = b.content(path);
      const st = lstatSafe(path);
      // A folder or symlink in its place is removed by name (rm does not follow a symlink).
      if (st && !st.isFile()) rmSync(path, { recursive: st.isDirectory(), force: true });
      writeAsOwner(path, content, e.uid, e.gid, e.mode);
      this.counts.restored++;
      return true;
    } catch (err) {
      this.counts.restore_failed++;
      return err instanceof Error ? err.message : String(err);
    }
  }

  private raise(path: string, mode: IntegritySpec["mode"], what: "changed" | "deleted" | "replaced" | "new", text: string, content?: Buffer): void {
    this.events++;
    // A skill's text is instructions the agent will follow: what the pattern databases find in it is said, and makes the alert critical.
    let severity: "warning" | "critical" = mode === "protected" ? "critical" : "warning";
    let found = "";
    if (content && this.d.scanText && /(^|\/)SKILL\.md$/i.test(path)) {
      const hits = this.d.scanText(content.toString("utf8"));
      if (hits.length > 0) {
        found = `\npattern databases: ${hits.map((h) => h.line).join("; ")}`;
        if (hits.some((h) => h.severity === "critical")) severity = "critical";
      }
    }
    const rule = mode === "protected" ? `protected-file-${what}` : `watched-file-${what}`;
    this.emit({
      id: this.d.ids.take(),
      ts: Date.now(),
      source: this.name,
      kind: "external",
      node_id: this.d.nodeId,
      fidelity: "userspace",
      file: { path, items: [{ name: path, nametype: "NORMAL" }] },
      external: { tool: "integrity", rule, priority: mode, severity, output: `${text}${found}`, tags: ["T1565.001"], category: "PERSISTENCE" },
    });
  }
}

function restoredText(r: true | string | undefined): string {
  return r === undefined ? "" : r === true ? "; restored from the baseline" : `; NOT restored: ${r}`;
}

function firstLines(b: Buffer): string {
  const lines = b.toString("utf8").split("\n");
  return lines.slice(0, 20).map((l) => `+${l.length > 200 ? `${l.slice(0, 200)}…` : l}`).join("\n") + (lines.length > 20 ? `\n… ${lines.length - 20} more lines` : "");
}

type Read = { kind: "file"; content: Buffer; st: Stats } | { kind: "missing" } | { kind: "other"; what: string };

/**
 * Reads a watched file without following a symlink anywhere in its path: the daemon is root and
 * the folders are the agent's, which could point a name at /etc/shadow. The opened descriptor's
 * own path must be the one asked for.
 */
export function readSafe(path: string): Read {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "missing" };
    if (code === "ELOOP") return { kind: "other", what: "a symlink" };
    return { kind: "other", what: `unreadable (${code})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: "other", what: "not a regular file" };
    const real = readlinkSync(`/proc/self/fd/${fd}`);
    if (real !== path) return { kind: "other", what: `reached through a symlinked folder (it is ${real})` };
    if (st.size > MAX_FILE) return { kind: "other", what: `over 1 MiB (${st.size} bytes)` };
    return { kind: "file", content: readFileSync(fd), st };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a file's baselined content back as the file's own owner (a child process with that uid):
 * whatever the agent does to its own folders meanwhile, the write has only the agent's rights.
 */
function writeAsOwner(path: string, content: Buffer, uid: number, gid: number, mode: number): void {
  const script = `const fs=require("fs"),p=process.argv[1],path=require("path");const t=path.join(path.dirname(p),"."+path.basename(p)+".clawav-restore");try{fs.unlinkSync(t)}catch{}const fd=fs.openSync(t,"wx",${mode});fs.writeSync(fd,fs.readFileSync(0));fs.fchmodSync(fd,${mode});fs.closeSync(fd);fs.renameSync(t,p);`;
  const r = spawnSync(process.execPath, ["-e", script, path], { input: content, uid, gid, stdio: ["pipe", "ignore", "pipe"], encoding: "buffer", timeout: 10_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error((r.stderr.toString("utf8").trim().split("\n").find((l) => /Error/.test(l)) ?? `exit ${r.status}`).slice(0, 300));
}

function lstatSafe(p: string) {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

/** A path (or one segment) with `*` matching within a segment, as a whole-string regex. */
function globRegex(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*")}$`);
}

function expandSpecMatch(spec: string, homes: readonly string[], path: string): boolean {
  const roots = spec.startsWith("/") ? [spec] : homes.map((h) => join(h, spec));
  return roots.some((r) => globRegex(r).test(path));
}
