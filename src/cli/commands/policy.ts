import type { Command } from "commander";
import { EXIT, UserError } from "../../errors/index.js";
import { parseEventLine, type Event, type ProcessInfo } from "../../events/index.js";
import { closeSync, existsSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { BundleError, bundleText, countsOf, ed25519PublicKey, makeBundle, parseBundle } from "../../bundle/index.js";
import { BEHAVIOR_RULES, coverage, createDetector, formatPolicyError, loadClawsudoPolicies, loadPolicies, mitreOf, policyDirsOf, shellSplit, TACTICS } from "../../detect/index.js";
import { configFrom } from "../load-config.js";

interface TestOpts {
  config?: string;
  cmd?: string;
  events?: string;
  file?: string;
  write?: boolean;
  connect?: string;
  exe?: string;
  user?: string;
  parent?: string;
  cwd?: string;
  dir?: string[];
}

export function registerPolicy(program: Command): void {
  const cmd = program.command("policy").description("check policy files and try rules against a command");
  cmd
    .command("lint")
    .description("check policy YAML files, clawsudo's too (default: the shipped policies and the config's policy folders)")
    .argument("[dir...]", "policy folders or files")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .action((dirs: string[], opts: { config?: string }) => {
      // A folder named on the command line must be there; the config's default folders may be absent.
      const missing = dirs.filter((d) => !existsSync(d));
      if (missing.length > 0) throw new UserError(`policy lint: ${missing.join(", ")}: no such file or folder`, EXIT.NOINPUT);
      const use = dirs.length > 0 ? dirs : policyDirsOf(configFrom(opts.config));
      const r = loadPolicies(use);
      // clawsudo's files sit in the same folders; a broken one makes clawsudo deny everything.
      const c = loadClawsudoPolicies(use.filter((d) => !r.files.includes(d)));
      const errors = [...r.errors, ...c.errors];
      if (errors.length > 0) {
        for (const e of errors) process.stderr.write(`clawav: ${formatPolicyError(e)}\n`);
        process.exitCode = EXIT.FINDINGS;
        return;
      }
      const files = r.files.length + c.files.length;
      process.stdout.write(`OK: ${r.rules.length} rule${r.rules.length === 1 ? "" : "s"}${c.files.length > 0 ? `, ${c.rules.length} clawsudo rule${c.rules.length === 1 ? "" : "s"}` : ""} in ${files} file${files === 1 ? "" : "s"}\n`);
    });
  cmd
    .command("list")
    .description("list the built-in behaviour rules and the loaded policy rules")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--dir <dir...>", "policy folders instead of the config's")
    .action((opts: { config?: string; dir?: string[] }) => {
      const r = loadPolicies(opts.dir ?? policyDirsOf(configFrom(opts.config)));
      if (r.errors.length > 0) {
        for (const e of r.errors) process.stderr.write(`clawav: ${formatPolicyError(e)}\n`);
        process.exitCode = EXIT.FINDINGS;
        return;
      }
      const out: string[] = ["behaviour rules (built in):"];
      for (const b of BEHAVIOR_RULES) out.push(`  ${b.id.padEnd(28)} ${b.category.padEnd(12)} ${b.severity.padEnd(8)} ${mitreOf(b.id, b.category).join(",").padEnd(22)} ${b.description}`);
      out.push(`policy rules (${r.rules.length}):`);
      for (const p of r.rules) out.push(`  ${p.name.padEnd(28)} ${p.category.padEnd(12)} ${p.severity.padEnd(8)} ${(p.mitre ?? mitreOf(p.name, p.category)).join(",").padEnd(22)} ${p.enabled ? "" : "(disabled) "}${p.enforcement !== "none" ? `enforcement=${p.enforcement} ` : ""}${p.quarantine ? "quarantine " : ""}${p.description ?? ""} [${p.origin}]`);
      process.stdout.write(out.join("\n") + "\n");
    });
  cmd
    .command("bundle")
    .description("make a signed policy bundle of DIR/policies/*.yaml, DIR/sigma/** and DIR/patterns/*.json, each checked first (for remote policy)")
    .argument("<dir>", "the folder holding policies/, sigma/ and patterns/")
    .requiredOption("-o, --output <file>", "the bundle file to write")
    .requiredOption("--key <file>", "the Ed25519 private key (PEM, as openssl genpkey -algorithm ed25519 makes); never commit it")
    .option("--bundle-version <version>", "the bundle's version, dotted numbers such as 2026.12.7 (default: DIR/VERSION)")
    .action((dir: string, opts: { output: string; key: string; bundleVersion?: string }) => {
      const pem = readText(opts.key, "policy bundle", "the key");
      const bundle = makeBundle(dir, pem, opts.bundleVersion, new Date());
      writePublicFile(opts.output, bundleText(bundle));
      const n = countsOf(bundle);
      process.stdout.write(`bundle ${bundle.version}: ${n.files} file${n.files === 1 ? "" : "s"} (${n.policies} polic${n.policies === 1 ? "y" : "ies"}, ${n.sigma} sigma, ${n.patterns} pattern database${n.patterns === 1 ? "" : "s"}) -> ${opts.output}\n`);
    });
  cmd
    .command("bundle-verify")
    .description("check a policy bundle's signature, paths and checksums and list its files; exit 1 when it does not verify")
    .argument("<file>", "the bundle")
    .requiredOption("--public-key <file>", "the Ed25519 public key (PEM) it must be signed for")
    .action((file: string, opts: { publicKey: string }) => {
      const pub = readText(opts.publicKey, "policy bundle-verify", "the public key");
      try {
        ed25519PublicKey(pub);
      } catch (e) {
        throw new UserError(`policy bundle-verify: ${opts.publicKey}: ${e instanceof BundleError ? e.message : String(e)}`, EXIT.DATAERR);
      }
      const r = parseBundle(readFileOrThrow(file, "policy bundle-verify", "the bundle"), pub);
      if ("error" in r) throw new UserError(`policy bundle-verify: ${file}: ${r.error.message}`, EXIT.FINDINGS);
      const b = r.bundle;
      const n = countsOf(b);
      const out = [`OK: ${file}: bundle ${b.version} (created ${b.created}), ${n.files} file${n.files === 1 ? "" : "s"} (${n.policies} polic${n.policies === 1 ? "y" : "ies"}, ${n.sigma} sigma, ${n.patterns} pattern database${n.patterns === 1 ? "" : "s"}), signature valid`];
      for (const f of b.files) out.push(`  ${f.sha256.slice(0, 16)}  ${String(Buffer.byteLength(f.content, "utf8")).padStart(8)}  ${f.path}`);
      process.stdout.write(out.join("\n") + "\n");
    });
  program
    .command("coverage")
    .description("the MITRE ATT&CK techniques clawav's rules cover, by tactic")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .option("--json", "as JSON")
    .action((opts: { config?: string; json?: boolean }) => {
      const r = loadPolicies(policyDirsOf(configFrom(opts.config)));
      const extra = r.rules.flatMap((p) => (p.mitre ?? []).map((id) => `${p.name}\u0000${id}`));
      const cov = coverage(extra);
      if (opts.json) {
        process.stdout.write(JSON.stringify(Object.fromEntries([...cov].map(([t, xs]) => [t, xs])), null, 1) + "\n");
        return;
      }
      const out: string[] = [];
      const ids = new Set<string>();
      for (const t of TACTICS) {
        const xs = cov.get(t) ?? [];
        if (xs.length === 0) continue;
        out.push(`${t} (${xs.length})`);
        for (const x of xs) {
          ids.add(x.id);
          out.push(`  ${x.id.padEnd(10)} ${x.name}: ${x.rules.slice(0, 6).join(", ")}${x.rules.length > 6 ? `, +${x.rules.length - 6}` : ""}`);
        }
      }
      out.push(`${ids.size} techniques in ${out.filter((l) => !l.startsWith(" ")).length} tactics`);
      process.stdout.write(out.join("\n") + "\n");
    });
  cmd
    .command("test")
    .description("build a synthetic event (or read a file of them) and show which rules fire, and why")
    .option("--cmd <command>", "the command line (split like a shell would)")
    .option("--events <file>", "NDJSON events, judged in order (sequences see them all); from parse-audit, run --events, or written by hand")
    .option("--file <path>", "also judge a file access to PATH by this command")
    .option("--write", "the --file access is a write")
    .option("--connect <host:port>", "also judge a connect to HOST:PORT (an IP address, or a name)")
    .option("--exe <path>", "the resolved executable (default: argv[0] looked up in /usr/bin)")
    .option("--user <user>", "the user (name or uid)", "1000")
    .option("--parent <exe>", "the parent's executable")
    .option("--cwd <dir>", "the working folder", "/home/agent")
    .option("--dir <dir...>", "policy folders instead of the config's")
    .option("-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)")
    .action((opts: TestOpts) => {
      const config = configFrom(opts.config);
      const detector = createDetector({ config, ...(opts.dir ? { policyDirs: opts.dir } : {}) });
      if (opts.events !== undefined) return judgeFile(detector, opts.events);
      if (opts.cmd === undefined) throw new UserError("policy test: give --cmd COMMAND or --events FILE");
      const argv = shellSplit(opts.cmd);
      if (argv.length === 0) throw new UserError("policy test: --cmd is empty");
      const uid = /^\d+$/.test(opts.user ?? "") ? Number(opts.user) : 1000;
      const exe = opts.exe ?? (argv[0]!.startsWith("/") ? argv[0]! : `/usr/bin/${argv[0]!}`);
      const proc: ProcessInfo = { pid: 4242, ppid: 4241, uid, auid: uid, euid: uid, exe, comm: exe.split("/").pop()!.slice(0, 15), argv, cwd: opts.cwd ?? "/home/agent", lineage: opts.parent ? [{ pid: 4241, exe: opts.parent }] : [] };
      if (opts.user !== undefined && !/^\d+$/.test(opts.user)) proc.user = opts.user;
      const events: Event[] = [{ id: "0000000000000001", ts: Date.now(), source: "policy-test", kind: "exec", node_id: "test", fidelity: "userspace", process: proc }];
      if (opts.file !== undefined) {
        events.push({ id: "0000000000000002", ts: Date.now(), source: "policy-test", kind: "file", node_id: "test", fidelity: "userspace", process: proc, file: { path: opts.file, items: [{ name: opts.file, nametype: opts.write ? "CREATE" : "NORMAL" }] }, syscall: { name: "openat", nr: 257, arch: "x86_64", success: true, exit: 3, args: ["ffffff9c", "0", opts.write ? "241" : "0", "0"] } });
      }
      if (opts.connect !== undefined) {
        const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(opts.connect);
        if (!m || Number(m[2]) > 65535) throw new UserError(`policy test: --connect wants HOST:PORT, got ${JSON.stringify(opts.connect)}`);
        const isAddr = /^[\d.]+$/.test(m[1]!) || m[1]!.includes(":");
        events.push({ id: "0000000000000003", ts: Date.now(), source: "policy-test", kind: "net", node_id: "test", fidelity: "userspace", process: proc, syscall: { name: "connect", nr: 42, arch: "x86_64", success: true, exit: 0, args: [] }, net: { family: m[1]!.includes(":") ? "inet6" : "inet", ...(isAddr ? { address: m[1]! } : { host: m[1]!, address: "0.0.0.0" }), port: Number(m[2]) } });
      }
      let total = 0;
      let worst = "none";
      const rank = { none: -1, info: 0, warning: 1, critical: 2 } as const;
      for (const e of events) {
        const alerts = detector.evaluate(e);
        process.stdout.write(`${e.kind} event:${alerts.length === 0 ? " no rule fires" : ""}\n`);
        for (const a of alerts) {
          total++;
          if (rank[a.severity] > rank[worst as keyof typeof rank]) worst = a.severity;
          process.stdout.write(`  ${a.severity.padEnd(8)} ${a.engine}/${a.rule} [${a.category}]${a.action !== "alert" ? ` action=${a.action}` : ""}: ${a.summary}\n`);
        }
      }
      process.stdout.write(`verdict: ${worst} (${total} rule${total === 1 ? "" : "s"} fired; ${detector.policyCount} policy rules from ${detector.sources.length} file${detector.sources.length === 1 ? "" : "s"})\n`);
    });
}

/** Judges a file of events in order and prints what fired for each; a bad line names its number. */
function judgeFile(detector: ReturnType<typeof createDetector>, file: string): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`policy test: ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
  }
  const lines = text.split("\n");
  let fired = 0;
  let events = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const r = parseEventLine(line);
    if ("error" in r) throw new UserError(`policy test: ${file}:${i + 1}: ${r.error}`);
    if ("skip" in r) continue;
    events++;
    const e = r.event;
    const alerts = detector.evaluate(e);
    const what = e.process ? e.process.argv.join(" ").slice(0, 80) : e.kind;
    process.stdout.write(`${file}:${i + 1} ${e.kind} ${what}:${alerts.length === 0 ? " no rule fires" : ""}\n`);
    for (const a of alerts) {
      fired++;
      process.stdout.write(`  ${a.severity.padEnd(8)} ${a.engine}/${a.rule} [${a.category}]${a.mitre?.length ? ` ${a.mitre.join(",")}` : ""}: ${a.summary}\n`);
    }
  }
  process.stdout.write(`${events} events, ${fired} alerts\n`);
}

function readFileOrThrow(file: string, command: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UserError(`${command}: ${file}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
  }
}

function readText(file: string, command: string, what: string): string {
  return readFileOrThrow(file, command, what).toString("utf8");
}

/**
 * Writes a file others may read (0644, whatever the umask): a bundle is public, signed, and copied
 * to a web server. Through a temporary file and a rename, so a reader never sees half of it.
 */
function writePublicFile(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o644);
    try {
      fchmodSync(fd, 0o644);
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`policy bundle: ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.CANTCREAT);
  }
}
