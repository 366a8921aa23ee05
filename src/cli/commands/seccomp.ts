import type { Command } from "commander";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { EXIT, UserError } from "../../errors/index.js";
import {
  compile, decode, diffWhitelists, disasm, encode, generateKeys, hostArch, keyId, knownSyscalls, learn, loadWhitelist, prepareSeccompLaunch, signatureProblem, signWhitelist, toOci, type Arch,
} from "../../seccomp/index.js";
import { configFrom } from "../load-config.js";
import { createPublicKey } from "node:crypto";

const known = knownSyscalls;

function archOf(opt: string | undefined): Arch {
  if (opt === undefined) return hostArch();
  if (opt === "x86_64" || opt === "aarch64") return opt;
  throw new UserError(`--arch: "${opt}" is not supported (x86_64 or aarch64)`);
}

export function registerSeccomp(program: Command): void {
  const cmd = program.command("seccomp").description("syscall whitelists: validate, compile to seccomp-BPF, inspect, run a program under one");
  cmd
    .command("validate")
    .description("check a whitelist against the schema and the syscall tables; errors cite the JSON path")
    .argument("<file>")
    .action((file: string) => {
      const w = loadWhitelist(file, known);
      process.stdout.write(`OK: ${file}: ${w.syscalls.length} syscalls, default ${JSON.stringify(w.default_action)}\n`);
    });
  cmd
    .command("compile")
    .description("compile a whitelist to a seccomp-BPF program (raw struct sock_filter array)")
    .argument("<file>")
    .requiredOption("-o, --output <file>", "where to write the filter")
    .option("--arch <arch>", "x86_64 or aarch64 (default: this machine's)")
    .action((file: string, opts: { output: string; arch?: string }) => {
      const arch = archOf(opts.arch);
      const w = loadWhitelist(file, () => known(arch));
      const prog = compile(w, arch);
      writeFileSync(opts.output, encode(prog), { mode: 0o644 });
      process.stdout.write(`${opts.output}: ${prog.length} instructions for ${arch}\n`);
    });
  cmd
    .command("disasm")
    .description("print a compiled filter as readable instructions")
    .argument("<filter>")
    .action((file: string) => {
      let b: Buffer;
      try {
        b = readFileSync(file);
      } catch (e) {
        throw new UserError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
      }
      let prog;
      try {
        prog = decode(b);
      } catch (e) {
        throw new UserError(`${file}: ${(e as Error).message}`);
      }
      process.stdout.write(disasm(prog) + "\n");
    });
  cmd
    .command("learn")
    .description("run a command under strace -f and write a whitelist of the syscalls it used")
    .requiredOption("-o, --output <file>", "where to write the whitelist")
    .argument("<command...>", "the command and its arguments (after --)")
    .action(async (command: string[], opts: { output: string }) => {
      const arch = hostArch();
      const r = await learn(command, arch);
      writeFileSync(opts.output, JSON.stringify(r.whitelist, null, 2) + "\n", { mode: 0o644 });
      process.stderr.write(`learn: ${r.whitelist.syscalls.length} syscalls → ${opts.output} (the command exited ${r.exitCode})\n`);
      if (r.unknown.length > 0) process.stderr.write(`learn: not in ${arch}'s table, left out: ${r.unknown.join(", ")}\n`);
    });
  cmd
    .command("diff")
    .description("what differs between two whitelists")
    .argument("<a>")
    .argument("<b>")
    .action((a: string, b: string) => {
      const d = diffWhitelists(loadWhitelist(a), loadWhitelist(b));
      for (const n of d.onlyA) process.stdout.write(`- ${n}\n`);
      for (const n of d.onlyB) process.stdout.write(`+ ${n}\n`);
      for (const c of d.changed) process.stdout.write(`~ ${c.name}: ${c.a} → ${c.b}\n`);
      if (d.onlyA.length + d.onlyB.length + d.changed.length > 0) process.exitCode = EXIT.FINDINGS;
    });
  cmd
    .command("export-oci")
    .description("print the whitelist as an OCI seccomp profile (docker run --security-opt seccomp=FILE)")
    .argument("<file>")
    .option("-o, --output <file>", "write it here instead of stdout")
    .action((file: string, opts: { output?: string }) => {
      const text = toOci(loadWhitelist(file)) + "\n";
      if (opts.output) writeFileSync(opts.output, text, { mode: 0o644 });
      else process.stdout.write(text);
    });
  cmd
    .command("keygen")
    .description("make an Ed25519 key pair for signing whitelists: PREFIX.key (0600) and PREFIX.pub")
    .argument("<prefix>")
    .action((prefix: string) => {
      const k = generateKeys();
      writeFileSync(`${prefix}.key`, k.privatePem, { mode: 0o600, flag: "wx" });
      writeFileSync(`${prefix}.pub`, k.publicPem, { mode: 0o644, flag: "wx" });
      process.stdout.write(`${prefix}.key, ${prefix}.pub (key id ${keyId(createPublicKey(k.publicPem))})\n`);
    });
  cmd
    .command("sign")
    .description("sign a whitelist with an Ed25519 private key (the signature covers everything else in it)")
    .argument("<file>")
    .requiredOption("--key <file>", "Ed25519 private key (PEM)")
    .option("-o, --output <file>", "where to write the signed whitelist (default: in place)")
    .action((file: string, opts: { key: string; output?: string }) => {
      const signed = signWhitelist(loadWhitelist(file), opts.key);
      writeFileSync(opts.output ?? file, JSON.stringify(signed, null, 2) + "\n", { mode: 0o644 });
      process.stdout.write(`signed ${opts.output ?? file} with key ${signed.signature!.key_id}\n`);
    });
  cmd
    .command("verify")
    .description("check a whitelist's Ed25519 signature")
    .argument("<file>")
    .requiredOption("--pub <file>", "Ed25519 public key (PEM)")
    .action((file: string, opts: { pub: string }) => {
      const problem = signatureProblem(loadWhitelist(file), opts.pub);
      if (problem) {
        process.stdout.write(`FAIL: ${file}: ${problem}\n`);
        process.exitCode = EXIT.FINDINGS;
      } else process.stdout.write(`OK: ${file}: signed by ${opts.pub}\n`);
    });
  cmd
    .command("exec")
    .description("compile a whitelist and run a command under it (no_new_privs, then the filter, then exec)")
    .requiredOption("--whitelist <file>", "the whitelist")
    .option("-c, --config <file>", "config file; with seccomp.public_key set, unsigned whitelists are refused")
    .option("--pub <file>", "require a good signature by this Ed25519 public key")
    .argument("<command...>", "the command and its arguments (after --)")
    .action(async (command: string[], opts: { whitelist: string; config?: string; pub?: string }) => {
      const launch = prepareSeccompLaunch(opts.whitelist, opts.pub ?? configFrom(opts.config).seccomp.public_key);
      const [launcher, ...launchArgs] = launch.prefix as [string, ...string[]];
      const child = spawn(launcher, [...launchArgs, ...command], { stdio: "inherit" });
      const code = await new Promise<number>((resolve) =>
        // Like a shell: a command killed by a signal exits 128 + the signal's number (SIGSYS: 159).
        child.on("exit", (c, sig) => resolve(c ?? 128 + (sig ? constants.signals[sig] : 0))),
      );
      launch.cleanup();
      process.exitCode = code;
    });
}
