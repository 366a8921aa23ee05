import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decide, loadClawsudoPolicy, type SudoCommand } from "../../src/gate/index.js";
import { PACKAGE_ROOT } from "../../src/version.js";

function policyDir(yaml: string): string {
  const d = mkdtempSync(join(tmpdir(), "clawsudo-policy-"));
  writeFileSync(join(d, "clawsudo-site.yaml"), yaml);
  writeFileSync(join(d, "detection.yaml"), "rules:\n  - name: not-for-clawsudo\n    match: { command: [id] }\n    action: critical\n");
  return d;
}

const cmd = (exe: string, ...args: string[]): SudoCommand => ({ name: exe, exe, args, cwd: "/srv", uid: 1001, user: "agent" });
const RULES = `rules:
  - name: allow-apt-update
    match: { exe: ["/usr/bin/apt-get"], args: [update] }
    enforcement: allow
  - name: ask-apt
    match: { exe: ["/usr/bin/apt-get"] }
    enforcement: ask
  - name: deny-apt-purge
    match: { exe: ["/usr/bin/apt-get"], args: [purge] }
    enforcement: deny
  - name: allow-find
    match: { command: [find] }
    enforcement: allow
`;

describe("clawsudo decisions", () => {
  const policy = loadClawsudoPolicy([policyDir(RULES)]);

  it("reads only clawsudo*.yaml files, and every rule needs allow, deny or ask", () => {
    expect(policy.errors).toEqual([]);
    expect(policy.rules.map((r) => r.name)).toEqual(["allow-apt-update", "ask-apt", "deny-apt-purge", "allow-find"]);
    const bad = loadClawsudoPolicy([policyDir("rules:\n  - name: no-enforcement\n    match: { command: [id] }\n")]);
    expect(bad.errors).toEqual([expect.objectContaining({ key: "no-enforcement.enforcement", line: 2, message: expect.stringContaining("allow, deny or ask") })]);
    expect(decide(cmd("/usr/bin/id"), bad, [])).toMatchObject({ decision: "deny", rule: "policy-error" });
  });

  it("deny beats allow beats ask; no rule is ask; no policy is deny", () => {
    expect(decide(cmd("/usr/bin/apt-get", "update"), policy, [])).toMatchObject({ decision: "allow", rule: "allow-apt-update" });
    expect(decide(cmd("/usr/bin/apt-get", "purge", "update"), policy, [])).toMatchObject({ decision: "deny", rule: "deny-apt-purge" });
    expect(decide(cmd("/usr/bin/apt-get", "install", "x"), policy, [])).toMatchObject({ decision: "ask", rule: "ask-apt" });
    expect(decide(cmd("/usr/bin/id"), policy, [])).toMatchObject({ decision: "ask", rule: "no-match" });
    expect(decide(cmd("/usr/bin/id"), { rules: [], files: [], errors: [] }, [])).toMatchObject({ decision: "deny", rule: "no-policy" });
  });

  it("an escape beats an allow rule, and clawav's own files beat everything", () => {
    expect(decide(cmd("/usr/bin/find", ".", "-exec", "sh", ";"), policy, [])).toMatchObject({ decision: "deny", rule: "escape-exec-option" });
    expect(decide(cmd("/usr/bin/find", "/var/lib/clawav"), policy, ["/var/lib/clawav"])).toMatchObject({ decision: "deny", rule: "protect-clawav" });
    expect(decide(cmd("/usr/bin/find", "--files0-from=/var/lib/clawav/api-token"), policy, ["/var/lib/clawav"])).toMatchObject({ decision: "deny", rule: "protect-clawav" });
    expect(decide(cmd(join(PACKAGE_ROOT, "dist", "cli", "clawav.js"), "approve", "--list"), policy, [])).toMatchObject({ decision: "deny", rule: "protect-clawav" });
    expect(decide(cmd("/usr/bin/curl", "-d@/var/lib/clawav/api-token", "http://127.0.0.1:1/"), policy, ["/var/lib/clawav"])).toMatchObject({ decision: "deny", rule: "protect-clawav" });
    expect(decide(cmd("/usr/bin/find", "clawav/api-token"), { ...policy }, ["/var/lib/clawav"])).toMatchObject({ decision: "allow" });
    expect(decide({ ...cmd("/usr/bin/find", "clawav/api-token"), cwd: "/var/lib" }, policy, ["/var/lib/clawav"])).toMatchObject({ decision: "deny", rule: "protect-clawav" });
    // A folder above the state: allowed by a rule, still asked.
    expect(decide(cmd("/usr/bin/find", "/var/lib", "-name", "x"), policy, ["/var/lib/clawav"])).toMatchObject({ decision: "ask", rule: "protect-clawav", reason: expect.stringContaining("rule allow-find would allow it") });
    expect(decide(cmd("/usr/bin/find", "/srv", "-name", "x"), policy, ["/var/lib/clawav"])).toMatchObject({ decision: "allow" });
  });

  it("the shipped clawsudo.yaml loads and says what it means", () => {
    const shipped = loadClawsudoPolicy([join(PACKAGE_ROOT, "policies")]);
    expect(shipped.errors).toEqual([]);
    expect(decide(cmd("/usr/bin/systemctl", "--no-pager", "status", "ssh"), shipped, [])).toMatchObject({ decision: "allow", rule: "service-status" });
    expect(decide(cmd("/usr/bin/systemctl", "--no-pager", "restart", "ssh"), shipped, [])).toMatchObject({ decision: "ask", rule: "service-control" });
    expect(decide(cmd("/usr/bin/systemctl", "--no-pager", "stop", "clawav"), shipped, [])).toMatchObject({ decision: "deny", rule: "never-stop-the-watch" });
    expect(decide(cmd("/usr/bin/systemctl", "--no-pager", "status", "clawav"), shipped, [])).toMatchObject({ decision: "allow" });
    expect(decide(cmd("/usr/sbin/ufw", "--force", "disable"), shipped, [])).toMatchObject({ decision: "deny", rule: "never-drop-the-firewall" });
    expect(decide(cmd("/usr/sbin/usermod", "-aG", "sudo", "agent"), shipped, [])).toMatchObject({ decision: "deny", rule: "never-change-accounts" });
    expect(decide(cmd("/usr/bin/journalctl", "--no-pager", "--vacuum-time=1s"), shipped, [])).toMatchObject({ decision: "ask" });
  });
});
