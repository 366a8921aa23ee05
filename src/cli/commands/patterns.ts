import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EXIT, UserError } from "../../errors/index.js";
import { loadPatternDir, PATTERNS_DIR, PatternSet, PUBLIC_KEY_FILE, signFile, type PatternDb } from "../../patterns/index.js";

function dirOpt(o: { dir?: string; publicKey?: string }) {
  return { dir: o.dir ?? PATTERNS_DIR, pub: o.publicKey ?? (o.dir ? join(o.dir, "clawav-patterns.pub") : PUBLIC_KEY_FILE) };
}

function loaded(o: { dir?: string; publicKey?: string; unsigned?: boolean }): PatternDb[] {
  const { dir, pub } = dirOpt(o);
  const r = loadPatternDir(dir, existsSync(pub) ? pub : PUBLIC_KEY_FILE, !o.unsigned);
  for (const e of r.errors) process.stderr.write(`clawav: ${e.message}\n`);
  if (r.dbs.length === 0) throw new UserError(`no pattern database could be used from ${dir}`, EXIT.DATAERR);
  return r.dbs;
}

export function registerPatterns(program: Command): void {
  const p = program.command("patterns").description("clawav's pattern databases: prompt injection, dangerous commands, privacy, supply chain (Ed25519-signed JSON)");
  const common = (c: Command) => c.option("--dir <dir>", `a folder of databases (default: ${PATTERNS_DIR})`).option("--public-key <file>", "the Ed25519 public key (PEM) their signatures are checked with");
  common(p.command("verify").description("check every database: its signature, its schema (file:line: key), each regex in RE2 with a bounded length; exit 1 if one fails")).action((o: { dir?: string; publicKey?: string }) => {
    const { dir, pub } = dirOpt(o);
    const r = loadPatternDir(dir, pub, true);
    for (const d of r.dbs) process.stdout.write(`OK: ${d.file}: ${d.name} ${d.version} (${d.updated}), ${d.entries.length} entries, signature valid\n`);
    for (const e of r.errors) process.stdout.write(`FAILED: ${e.message}\n`);
    if (r.errors.length > 0) process.exitCode = EXIT.FINDINGS;
  });
  common(p.command("list").description("the entries of each database: id, severity, action, what it finds").option("--unsigned", "also read databases whose signature is missing or does not verify")).action((o: { dir?: string; publicKey?: string; unsigned?: boolean }) => {
    for (const d of loaded(o)) {
      process.stdout.write(`${d.name} ${d.version} (${d.updated}): ${d.entries.length} entries\n`);
      for (const e of d.entries) process.stdout.write(`  ${e.id.padEnd(32)} ${e.severity.padEnd(8)} ${e.action.padEnd(6)} ${e.description}\n`);
    }
  });
  common(p.command("test").description("match a text against every database (the text as an argument, or - for standard input); exit 1 when something matches").argument("<text>", "the text, or - to read it from standard input").option("--json", "the hits as JSON").option("--unsigned", "also read unsigned databases")).action((text: string, o: { dir?: string; publicKey?: string; json?: boolean; unsigned?: boolean }) => {
    const input = text === "-" ? readFileSync(0, "utf8") : text;
    const set = new PatternSet(loaded(o));
    const t0 = performance.now();
    const hits = set.match(input);
    const ms = performance.now() - t0;
    if (o.json) process.stdout.write(`${JSON.stringify(hits, null, 2)}\n`);
    else {
      for (const h of hits) process.stdout.write(`${h.severity.padEnd(8)} ${h.action.padEnd(6)} ${h.db}/${h.id} at ${h.index}: ${JSON.stringify(h.match)} (${h.description})\n`);
      process.stdout.write(`patterns: ${hits.length} match(es) in ${input.length} characters against ${set.entries.length} entries (${ms.toFixed(2)} ms)\n`);
    }
    if (hits.length > 0) process.exitCode = EXIT.FINDINGS;
  });
  p.command("sign")
    .description("sign each database of a folder with an Ed25519 private key (the maintainers' step: FILE.sig beside each)")
    .requiredOption("--key <file>", "the private key (PEM); never commit it")
    .option("--dir <dir>", `the folder (default: ${PATTERNS_DIR})`)
    .action((o: { key: string; dir?: string }) => {
      const dir = o.dir ?? PATTERNS_DIR;
      let pem: string;
      try {
        pem = readFileSync(o.key, "utf8");
      } catch (e) {
        throw new UserError(`${o.key}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
      }
      const r = loadPatternDir(dir, PUBLIC_KEY_FILE, false);
      if (r.errors.length > 0) throw new UserError(`refusing to sign: ${r.errors.map((e) => e.message).join("; ")}`, EXIT.DATAERR);
      for (const d of r.dbs) process.stdout.write(`signed ${signFile(d.file, pem)}\n`);
    });
}
