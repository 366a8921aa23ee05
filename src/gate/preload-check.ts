import { closeSync, openSync, readFileSync, readlinkSync, readSync } from "node:fs";

export const GUARD_LIBRARY = "libclawguard.so";

export type PreloadState = { state: "present" } | { state: "missing"; reason: string } | { state: "unknown"; reason: string };

/**
 * Whether a process of a guarded agent runs with the preload guard. /proc/PID/environ is the
 * environment the loader saw at exec (later setenv calls do not change it), /proc/PID/maps what it
 * mapped. Read live, so it can only be asked while the process exists.
 */
export function preloadState(pid: number, expectedExe?: string): PreloadState {
  let environ: string;
  let maps: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, "latin1");
    maps = readFileSync(`/proc/${pid}/maps`, "latin1");
  } catch {
    return { state: "unknown", reason: "the process is gone" };
  }
  if (expectedExe !== undefined && !exeIs(pid, expectedExe)) return { state: "unknown", reason: "the process runs another program now" };
  // An exiting process has given up its memory: no environment, no mappings, nothing to judge.
  if (maps.length === 0) return { state: "unknown", reason: "the process is exiting" };
  if (maps.includes(GUARD_LIBRARY)) return { state: "present" };
  if (isStaticElf(`/proc/${pid}/exe`)) return { state: "missing", reason: "a static binary: no dynamic loader, so LD_PRELOAD is never read" };
  const preload = environ.split("\0").find((v) => v.startsWith("LD_PRELOAD="));
  if (!preload?.includes(GUARD_LIBRARY)) return { state: "missing", reason: "started without LD_PRELOAD naming the guard (a raw execve or a scrubbed environment)" };
  // Named but not mapped: the loader may not have got to it yet. Not proof either way.
  return { state: "unknown", reason: "LD_PRELOAD names the guard but it is not mapped yet" };
}

function exeIs(pid: number, exe: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "") === exe;
  } catch {
    return false;
  }
}

/** An ELF executable with no PT_INTERP program header is static: the dynamic loader never runs. */
export function isStaticElf(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const h = Buffer.alloc(64);
    if (readSync(fd, h, 0, 64, 0) < 64 || h.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? h.readBigUInt64LE(32) : h.readBigUInt64BE(32)) : u32(h, 28);
    const phentsize = u16(h, is64 ? 54 : 42);
    const phnum = u16(h, is64 ? 56 : 44);
    if (phnum === 0 || phentsize === 0 || phnum > 4096) return false;
    const ph = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, ph, 0, ph.length, phoff) < ph.length) return false;
    for (let i = 0; i < phnum; i++) if (u32(ph, i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}
