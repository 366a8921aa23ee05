import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Enricher, Event } from "../events/index.js";

/** auditd writes a PATH record's dev as "MAJOR:MINOR" in hex. */
export function auditDev(dev: number): string {
  // glibc's major()/minor() of a 64-bit dev_t
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn & 0xffffffffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn & 0xffffffffn);
  return `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}`;
}

/**
 * The files clawav watches, by device and inode. A process that opens a watched file through
 * another name (a symlink, `cat /tmp/k` where /tmp/k → ~/.ssh/id_rsa) makes a PATH record
 * with that other name but the watched file's inode: the inode gives the real path back, so path
 * rules judge what was opened, not what it was called.
 */
export class WatchedFiles implements Enricher {
  readonly name = "watched-files";
  private byInode = new Map<string, string>();

  constructor(private readonly roots: readonly string[]) {
    this.refresh();
  }

  get size(): number {
    return this.byInode.size;
  }

  status(): Record<string, number> {
    return { files: this.byInode.size };
  }

  refresh(): void {
    const m = new Map<string, string>();
    const add = (p: string): boolean => {
      try {
        const st = statSync(p);
        if (st.isFile()) m.set(`${auditDev(st.dev)}/${st.ino}`, p);
        return st.isDirectory();
      } catch {
        return false;
      }
    };
    for (const r of this.roots) {
      if (!add(r)) continue;
      try {
        // One level down: the files in a watched folder (.ssh/id_rsa, .aws/credentials, sudoers.d/x).
        for (const n of readdirSync(r)) add(join(r, n));
      } catch {
        // unreadable folder: its files are judged by name only
      }
    }
    this.byInode = m;
  }

  /** Rewrites PATH items that are watched files under another name; the name used is kept. */
  enrich(e: Event): void {
    // An event that already names what it reached was resolved by the daemon that recorded it.
    if (!e.file || e.file.items.some((i) => i.named !== undefined)) return;
    for (const item of e.file.items) {
      if (item.inode === undefined || item.dev === undefined) continue;
      const real = this.byInode.get(`${item.dev}/${item.inode}`);
      if (real !== undefined && real !== item.name) {
        if (e.file.path === item.name) e.file.path = real;
        item.named = item.name;
        item.name = real;
      }
    }
  }
}
