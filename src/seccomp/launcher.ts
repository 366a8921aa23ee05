import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError, EXIT } from "../errors/index.js";
import { PACKAGE_ROOT } from "../version.js";
import { compile } from "./compile.js";
import { encode } from "./bpf.js";
import { signatureProblem } from "./sign.js";
import { SYSCALL_NUMBERS } from "./syscall-numbers.js";
import { loadWhitelist, type Arch } from "./whitelist.js";

/** The built launcher (npm run build:native), or a clear error saying how to build it. */
export function launcherPath(): string {
  const p = join(PACKAGE_ROOT, "native", "seccomp-run", "build", "seccomp-run");
  if (!existsSync(p)) throw new UserError(`the seccomp launcher is not built (${p}): run npm run build:native (needs a C compiler: apt-get install gcc)`);
  return p;
}

export function hostArch(): Arch {
  if (process.arch === "x64") return "x86_64";
  if (process.arch === "arm64") return "aarch64";
  throw new UserError(`seccomp filters are compiled for x86_64 and aarch64; this machine is ${process.arch}`);
}

export const knownSyscalls = (arch: Arch): Set<string> => new Set(Object.keys(SYSCALL_NUMBERS[arch]));

/** A command prefix that runs what follows under a whitelist: the launcher, the compiled filter, its port rules, "--". */
export interface SeccompLaunch {
  prefix: string[];
  cleanup(): void;
}

/**
 * Loads, checks (signature when a public key is given) and compiles a whitelist for the launcher.
 * Ports are enforced by the launcher with Landlock, since seccomp cannot see them.
 */
export function prepareSeccompLaunch(file: string, pub: string | undefined): SeccompLaunch {
  const arch = hostArch();
  const w = loadWhitelist(file, () => knownSyscalls(arch));
  // USER_NOTIF hands the call to a supervisor; with none listening the kernel fails the call.
  if (w.default_action === "USER_NOTIF" || w.syscalls.some((e) => e.action === "USER_NOTIF")) {
    throw new UserError(`${file}: USER_NOTIF needs a supervisor listening on the filter's notification fd, which this launcher does not provide; use compile and disasm for such a filter, or another action`);
  }
  if (pub !== undefined) {
    const problem = signatureProblem(w, pub);
    if (problem) throw new UserError(`${file}: refused: ${problem} (seccomp.public_key is ${pub})`, EXIT.FINDINGS);
  }
  const portArgs: string[] = [];
  for (const [flag, ports] of [["--connect-tcp", w.ports?.connect_tcp], ["--bind-tcp", w.ports?.bind_tcp]] as const) {
    if (ports === undefined) continue;
    if (ports.length === 0) portArgs.push(flag, "none");
    for (const p of ports) portArgs.push(flag, String(p));
  }
  const launcher = launcherPath();
  const dir = mkdtempSync(join(tmpdir(), "clawav-seccomp-"));
  // Readable by the user the command may run as (clawav exec --user); writable by root only.
  chmodSync(dir, 0o711);
  const filter = join(dir, "filter.bpf");
  writeFileSync(filter, encode(compile(w, arch)), { mode: 0o644 });
  return { prefix: [launcher, filter, ...portArgs, "--"], cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
