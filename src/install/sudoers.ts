// The sudoers entry an agent user gets: clawsudo as root, with its prefix pinned, and nothing else.
/** The sudoers entry that lets one agent user run clawsudo as root, and nothing else through it. */
export function sudoersEntry(user: string, node: string, script: string, config: string | undefined): string {
  const alias = `CLAWSUDO_${user.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  const cmd = [node, script, ...(config !== undefined ? ["--config", config] : []), "--"].join(" ");
  return [
    `# clawav: ${user} may run clawsudo as root, and nothing else through this entry.`,
    "# The prefix up to -- is pinned: the agent cannot choose the config or add node options.",
    `Cmnd_Alias ${alias} = ${cmd} *`,
    `Defaults!${alias} env_reset, !setenv`,
    `${user} ALL=(root) NOPASSWD: ${alias}`,
    "",
  ].join("\n");
}
