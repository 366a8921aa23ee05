// A small builder of Events as auditd's normalizer would produce them, for the detection tests.
import type { Event, ProcessInfo } from "../../src/events/index.js";
import { defaultConfig } from "../../src/config/index.js";
import { createDetector, type Detector } from "../../src/detect/index.js";
import { identityByName, type ExeIdentityFn } from "../../src/enrich/index.js";
import { shellSplit } from "../../src/detect/index.js";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/version.js";

let n = 0;
const nextId = () => (++n).toString(16).padStart(16, "0");

export const HOME = "/home/agent";

export function proc(argv: string[], o: Partial<ProcessInfo> = {}): ProcessInfo {
  const exe = o.exe ?? (argv[0]!.startsWith("/") ? argv[0]! : `/usr/bin/${argv[0]!}`);
  return { pid: 5000, ppid: 4999, uid: 1000, auid: 1000, euid: 1000, exe, comm: exe.split("/").pop()!.slice(0, 15), argv, cwd: HOME, lineage: [{ pid: 4999, exe: "/usr/bin/node" }], agent: "agent", ...o };
}

// Each event a quarter of an hour after the one before: rules that follow an agent across events
// (sequences) see unrelated test events as unrelated.
let clock = 1_795_000_000_000;
const base = (kind: Event["kind"], p: ProcessInfo): Event => ({ id: nextId(), ts: (clock += 15 * 60_000), source: "auditd", kind, node_id: "test", fidelity: "kernel", process: p });

/** An exec event of a command line (split like a shell). */
export function exec(cmd: string | string[], o: Partial<ProcessInfo> = {}): Event {
  const argv = typeof cmd === "string" ? shellSplit(cmd) : cmd;
  const p = proc(argv, o);
  return { ...base("exec", p), syscall: { name: "execve", nr: 59, arch: "x86_64", success: true, exit: 0, args: [] }, file: { path: p.exe ?? "", items: [{ name: p.exe ?? "", nametype: "NORMAL" }, { name: "/lib64/ld-linux-x86-64.so.2", nametype: "NORMAL" }] } };
}

/** A file event: `exe` opening `path` (read unless write). */
export function open(exe: string, path: string, o: { write?: boolean; argv?: string[]; proc?: Partial<ProcessInfo> } = {}): Event {
  const p = proc(o.argv ?? [exe.split("/").pop()!], { exe, ...o.proc });
  return { ...base("file", p), syscall: { name: "openat", nr: 257, arch: "x86_64", success: true, exit: 3, args: ["ffffff9c", "7ffe0000", o.write ? "241" : "0", "1b6"] }, file: { path, items: [{ name: path, nametype: o.write ? "CREATE" : "NORMAL" }] } };
}

export function connect(exe: string, address: string, port: number, argv?: string[], o: Partial<ProcessInfo> = {}): Event {
  const p = proc(argv ?? [exe.split("/").pop()!], { exe, ...o });
  return { ...base("net", p), syscall: { name: "connect", nr: 42, arch: "x86_64", success: true, exit: 0, args: [] }, net: { family: address.includes(":") ? "inet6" : "inet", address, port } };
}

export function sys(kind: Event["kind"], exe: string, name: string, args: string[], o: Partial<ProcessInfo> = {}): Event {
  const p = proc([exe.split("/").pop()!], { exe, ...o });
  return { ...base(kind, p), syscall: { name, nr: 0, arch: "x86_64", success: true, exit: 0, args } };
}

/** A detector with the shipped policies, identities by name and no DNS (allow-list by name and CIDR). */
export function detector(opts: { identity?: ExeIdentityFn; dirs?: string[]; resolve?: Record<string, string[]>; proxy?: boolean } = {}): Detector {
  const config = defaultConfig();
  if (opts.proxy) config.proxy.enabled = true;
  return createDetector({
    config,
    identity: opts.identity ?? identityByName,
    resolveHost: (h) => opts.resolve?.[h] ?? [],
    policyDirs: opts.dirs ?? [join(PACKAGE_ROOT, "policies")],
  });
}

export function rulesOf(d: Detector, e: Event): string[] {
  return d.evaluate(e).map((a) => `${a.severity}:${a.rule}`);
}

export function worst(d: Detector, e: Event): string {
  const a = d.evaluate(e);
  return a.length === 0 ? "none" : a[0]!.severity;
}
