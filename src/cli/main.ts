import { Command, CommanderError } from "commander";
import { EXIT, EXIT_TABLE, UserError } from "../errors/index.js";
import { VERSION } from "../version.js";

/**
 * `only: "run"`: the daemon registers its own command alone, so the other commands' modules (the
 * installer, the dashboards, seccomp, the scanner...) are never loaded into the process that
 * stays up for months: about 7 MB of RSS.
 */
export async function buildProgram(only?: "run"): Promise<Command> {
  const program = new Command();
  program
    .name("clawav")
    .description("A security watchdog for AI agents: watches from the kernel's side, judges, alerts, enforces.")
    .version(`clawav ${VERSION} (node ${process.versions.node})`, "-V, --version", "print clawav's version and the Node.js it runs on")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addHelpText("after", `\nExit codes:\n${EXIT_TABLE.map(([c, m]) => `  ${String(c).padStart(2)}  ${m}`).join("\n")}\n`);
  if (only === "run") (await import("./commands/run.js")).registerRun(program);
  else (await import("./commands/index.js")).registerCommands(program);
  return program;
}

/** Runs the CLI; a UserError becomes one line on stderr and its exit code, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  // A reader that goes away (`clawav ... | head`) ends the command quietly, not with a trace.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  // Only `clawav run ...` itself: `clawav help run` and the like list every command.
  const program = await buildProgram(argv[2] === "run" ? "run" : undefined);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    // Help and --version end with 0; every other complaint of the parser is a usage error.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (e instanceof UserError) {
      process.stderr.write(`clawav: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`clawav: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.SOFTWARE;
  }
}
