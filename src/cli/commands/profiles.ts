import type { Command } from "commander";
import { FULL, loadProfiles, profileNames, type Profile } from "../../profiles/index.js";
import { systemUserNames } from "../../enrich/index.js";

export function registerProfiles(program: Command): void {
  const cmd = program.command("profiles").description("agent profiles: which processes are an agent, what of it is watched, its usual tools, its rules");
  cmd
    .command("list")
    .description("the shipped profiles, one a line (use one with `clawav run --profile NAME` or `[profile] name`)")
    .action(() => {
      const out = profileNames().map((n) => {
        if (n === FULL) return `${FULL.padEnd(12)}  every profile at once`;
        const p = loadProfiles(n)[0]!;
        return `${n.padEnd(12)}  ${p.description}`;
      });
      process.stdout.write(out.join("\n") + "\n");
    });
  cmd
    .command("show")
    .description("what a profile makes clawav do: the agents, the watched paths, the usual tools and the rules")
    .argument("<name>", "a profile name (clawav profiles list)")
    .option("--json", "the profile as JSON")
    .action((name: string, opts: { json?: boolean }) => {
      const ps = loadProfiles(name);
      if (opts.json) {
        process.stdout.write(JSON.stringify(ps.map((p) => ({ name: p.name, description: p.description, agents: p.agents, watch: p.watch, tools: p.tools, rules: p.rules.map(ruleView) })), null, 2) + "\n");
        return;
      }
      process.stdout.write(ps.map(show).join("\n\n") + "\n");
    });
}

function ruleView(r: Profile["rules"][number]) {
  return { name: r.name, severity: r.severity, category: r.category, enforcement: r.enforcement, quarantine: r.quarantine, description: r.description, mitre: r.mitre, origin: r.origin };
}

function show(p: Profile): string {
  const users = systemUserNames();
  const agents = p.agents.map((a) => ("command" in a ? `  process tree rooted at ${a.command}` : "container" in a ? `  every process in container ${a.container} (quarantine pauses it)` : `  processes of user ${a.user}${users.uid(a.user) === undefined ? " (no such user here: selects nothing)" : ""}`));
  const watch = p.watch.map((w) => `  ${w.startsWith("/") ? w : `~/${w}`}  (read, write, attributes)`);
  const rules = p.rules.map((r) => `  ${r.name}  ${r.severity}${r.quarantine ? ", quarantine" : ""}${r.enforcement !== "none" ? `, ${r.enforcement}` : ""}  ${r.category}${r.mitre ? ` ${r.mitre.join(",")}` : ""}  ${r.description ?? ""}`);
  return [`${p.name}: ${p.description}`, "agents (named " + p.name + "):", ...agents, "watched:", ...watch, `usual tools (another is an info alert, ${p.name}-unusual-tool): ${p.tools.join(" ")}`, "rules:", ...rules, `file: ${p.file}`].join("\n");
}
