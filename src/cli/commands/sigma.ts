import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { EXIT, UserError, formatPosition } from "../../errors/index.js";
import { parseEventLine } from "../../events/index.js";
import { loadSigma, SigmaInput, type SigmaFileResult } from "../../detect/index.js";
import { configFrom } from "../load-config.js";

const CONFIG_OPT = ["-c, --config <file>", "config file (default: /etc/clawav/config.toml if it exists, else built-in defaults)"] as const;

export function registerSigma(program: Command): void {
  const cmd = program.command("sigma").description("Sigma rules: check which compile, and try them on events");
  cmd
    .command("check")
    .description("compile Sigma rules (default: the config's [sigma] dirs) and say, per rule, compiled or refused and why; exit 1 only for malformed files")
    .argument("[dir...]", "folders (searched below) or files of Sigma rules")
    .option("-q, --quiet", "only the refused, the malformed and the summary")
    .option(...CONFIG_OPT)
    .action((dirs: string[], opts: { quiet?: boolean; config?: string }) => {
      const use = dirsOf(dirs, opts.config, "check");
      const t0 = performance.now();
      const r = loadSigma(use);
      const ms = performance.now() - t0;
      const out: string[] = [];
      for (const x of r.results) {
        const line = describe(x);
        if (!opts.quiet || !("rule" in x)) out.push(line);
      }
      const refused = r.results.filter((x) => "refused" in x).length;
      out.push(`sigma: ${r.rules.length} of ${r.results.length} rules compiled, ${refused} refused, ${r.errors.length} malformed (${Math.round(ms)} ms)`);
      process.stdout.write(out.join("\n") + "\n");
      if (r.errors.length > 0) process.exitCode = EXIT.FINDINGS;
    });
  cmd
    .command("test")
    .description("show which Sigma rules match each event of a file, and by which selections")
    .argument("[dir...]", "folders or files of Sigma rules (default: the config's [sigma] dirs)")
    .requiredOption("--event <file>", "NDJSON events, one per line (from `clawav parse-audit`, `run --events`, or written by hand)")
    .option(...CONFIG_OPT)
    .action((dirs: string[], opts: { event: string; config?: string }) => {
      const use = dirsOf(dirs, opts.config, "test");
      const r = loadSigma(use);
      if (r.errors.length > 0) {
        for (const e of r.errors) process.stderr.write(`clawav: ${describe(e)}\n`);
        throw new UserError(`sigma test: ${r.errors.length} malformed rule file${r.errors.length === 1 ? "" : "s"}; \`clawav sigma check\` lists them`);
      }
      let text: string;
      try {
        text = readFileSync(opts.event, "utf8");
      } catch (e) {
        throw new UserError(`sigma test: ${opts.event}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, EXIT.NOINPUT);
      }
      const lines = text.split("\n");
      let events = 0;
      let matched = 0;
      for (let i = 0; i < lines.length; i++) {
        if (lines[i]!.trim() === "") continue;
        const p = parseEventLine(lines[i]!);
        if ("error" in p) throw new UserError(`sigma test: ${opts.event}:${i + 1}: ${p.error}`);
        if ("skip" in p) continue;
        events++;
        const e = p.event;
        const input = new SigmaInput(e);
        const hits = r.rules.filter((rule) => rule.matches(input));
        const what = e.process ? e.process.argv.join(" ").slice(0, 80) : e.kind;
        process.stdout.write(`${opts.event}:${i + 1} ${e.kind} ${what}:${hits.length === 0 ? " no Sigma rule matches" : ""}\n`);
        for (const h of hits) {
          matched++;
          process.stdout.write(`  ${h.severity.padEnd(8)} ${h.name} (${h.logsource}, level ${h.level}) ${h.title}\n    because: ${h.why(input).join(", ")}\n`);
        }
      }
      process.stdout.write(`${events} event${events === 1 ? "" : "s"}, ${matched} match${matched === 1 ? "" : "es"} of ${r.rules.length} rules\n`);
    });
}

function dirsOf(dirs: string[], config: string | undefined, verb: string): string[] {
  // A folder named on the command line must be there; the config's default folder may be absent.
  const missing = dirs.filter((d) => !existsSync(d));
  if (missing.length > 0) throw new UserError(`sigma ${verb}: ${missing.join(", ")}: no such file or folder`, EXIT.NOINPUT);
  return dirs.length > 0 ? dirs : configFrom(config).sigma.dirs;
}

function describe(x: SigmaFileResult): string {
  if ("rule" in x) {
    const r = x.rule;
    return `compiled  ${r.name} [${r.logsource}] level ${r.level} -> ${r.severity} ${r.category}${r.mitre.length ? ` ${r.mitre.join(",")}` : ""}`;
  }
  if ("refused" in x) return `refused   ${x.file}: ${x.refused.feature}: ${x.refused.detail}`;
  return `malformed ${formatPosition({ file: x.file, ...(x.line !== undefined ? { line: x.line } : {}) })}: ${x.key !== undefined ? `${x.key}: ` : ""}${x.error}`;
}
