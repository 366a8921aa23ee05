// The identity files as they were when taken into the baseline: a hash per file and a root-owned
// copy of its content (to restore a protected one from), in clawav's state folder (0700).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface BaselineEntry {
  sha256: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** When it was taken, and why ("first seen", "accepted by uid 0", "new file"). */
  ts: number;
  why: string;
}

export const sha256 = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

export class Baseline {
  private entries = new Map<string, BaselineEntry>();
  private readonly index: string;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.index = join(dir, "index.json");
    try {
      const data = JSON.parse(readFileSync(this.index, "utf8")) as Record<string, BaselineEntry>;
      this.entries = new Map(Object.entries(data));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`${this.index}: the integrity baseline cannot be read (${(e as Error).message}); move it away to take a new one`, { cause: e });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(path: string): BaselineEntry | undefined {
    return this.entries.get(path);
  }

  paths(): string[] {
    return [...this.entries.keys()].sort();
  }

  set(path: string, content: Buffer, meta: { mode: number; uid: number; gid: number }, why: string): BaselineEntry {
    const e: BaselineEntry = { sha256: sha256(content), size: content.length, mode: meta.mode & 0o7777, uid: meta.uid, gid: meta.gid, ts: Date.now(), why };
    const copy = this.copyOf(path);
    writeFileSync(`${copy}.tmp`, content, { mode: 0o600 });
    renameSync(`${copy}.tmp`, copy);
    this.entries.set(path, e);
    this.save();
    return e;
  }

  remove(path: string): void {
    this.entries.delete(path);
    rmSync(this.copyOf(path), { force: true });
    this.save();
  }

  /** The baselined content; an error if the copy no longer matches its hash (someone changed it). */
  content(path: string): Buffer {
    const e = this.entries.get(path);
    if (!e) throw new Error(`${path} is not in the baseline`);
    const b = readFileSync(this.copyOf(path));
    if (sha256(b) !== e.sha256) throw new Error(`the baseline's copy of ${path} does not match its hash: not restored`);
    return b;
  }

  private copyOf(path: string): string {
    return join(this.dir, `${sha256(path).slice(0, 32)}.copy`);
  }

  private save(): void {
    writeFileSync(`${this.index}.tmp`, `${JSON.stringify(Object.fromEntries(this.entries), null, 1)}\n`, { mode: 0o600 });
    renameSync(`${this.index}.tmp`, this.index);
  }
}
