import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FULL, loadProfiles, parseProfile, profileAgents, profileNames, profileUsers, profileWatches, ProfileError } from "../../src/profiles/index.js";
import { createDetector } from "../../src/detect/index.js";
import { defaultConfig } from "../../src/config/index.js";
import type { Event } from "../../src/events/index.js";

const GOOD = `name: demo
description: "a demo agent"
agents:
  - command: demo
  - user: demo
watch: [.demo, /opt/demo/secrets]
tools: [demo, ls]
rules:
  - name: demo-mount
    match: { agent: [demo], command: [mount] }
    action: critical
    quarantine: true
`;

const errorOf = (text: string): string => {
  try {
    parseProfile(text, "/p/demo.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return (e as Error).message;
  }
  throw new Error("no error");
};

describe("agent profiles, parsed from their data files", () => {
  it("ships openclaw, clawbot, moltbot and claude-code, and full is all of them", () => {
    expect(profileNames()).toEqual(["claude-code", "clawbot", FULL, "moltbot", "openclaw"]);
    const all = loadProfiles(FULL);
    expect(all.map((p) => p.name)).toEqual(["claude-code", "clawbot", "moltbot", "openclaw"]);
    // Every shipped profile names its agents, watches something and has rules beside the tools rule.
    for (const p of all) {
      expect(p.agents.length).toBeGreaterThan(0);
      expect(p.watch.length).toBeGreaterThan(0);
      expect(p.rules.filter((r) => r.name !== `${p.name}-unusual-tool`).length).toBeGreaterThan(0);
    }
    const oc = loadProfiles("openclaw")[0]!;
    expect(oc.rules.find((r) => r.name === "openclaw-mount")).toMatchObject({ severity: "critical", quarantine: true });
    expect(oc.rules.find((r) => r.name === "openclaw-ptrace")).toMatchObject({ severity: "critical", quarantine: true });
  });

  it("an unknown name is refused with the known ones", () => {
    expect(() => loadProfiles("opencalw")).toThrow(/no agent profile "opencalw": known profiles are claude-code, clawbot, moltbot, openclaw, full/);
  });

  it("reads agents, watched paths, tools and rules; the tools become an info rule that exempts them", () => {
    const p = parseProfile(GOOD, "/p/demo.yaml");
    expect(p.agents).toEqual([{ command: "demo" }, { user: "demo" }]);
    expect(p.rules.map((r) => r.name)).toEqual(["demo-mount", "demo-unusual-tool"]);
    expect(p.rules[1]).toMatchObject({ severity: "info", category: "EXECUTION" });
  });

  it("names the file, line and key of a mistake", () => {
    expect(errorOf(GOOD.replace("  - user: demo", "  - usr: demo"))).toMatch(/^\/p\/demo\.yaml:5:5: agents\[1\]: expected \{ command: NAME \}, \{ user: NAME \} or \{ container: NAME \}/);
    expect(errorOf(GOOD.replace("watch: [", "wach: ["))).toMatch(/\/p\/demo\.yaml:6:1: wach: unknown key \(did you mean "watch"\?\)/);
    expect(errorOf(GOOD.replace("- name: demo-mount", "- name: mount-all"))).toMatch(/rules: rule "mount-all": a profile's rule names begin with "demo-"/);
    expect(errorOf(GOOD.replace(".demo,", "../etc,"))).toMatch(/\/p\/demo\.yaml:6:9: watch\[0\]: expected a path .*no \.\./);
    expect(errorOf(GOOD.replace("command: [mount]", "comand: [mount]"))).toMatch(/rules\[0\]\.match\.comand: unknown key \(did you mean "command"\?\)/);
    expect(errorOf(GOOD.replace('description: "a demo agent"\n', ""))).toMatch(/description: missing/);
  });

  it("a file whose name and profile name differ is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "clawav-profiles-"));
    writeFileSync(join(dir, "other.yaml"), GOOD);
    expect(() => loadProfiles("other", dir)).toThrow(/the file is other\.yaml but names the profile "demo"/);
  });

  it("turns selectors into agents (a user this machine lacks selects nothing), and relative watches into one path per home", () => {
    const p = parseProfile(GOOD, "/p/demo.yaml");
    expect(profileAgents([p], (u) => (u === "demo" ? 1234 : undefined))).toEqual([{ name: "demo", command: "demo" }, { name: "demo", uid: 1234 }]);
    expect(profileAgents([p], () => undefined)).toEqual([{ name: "demo", command: "demo" }]);
    expect(profileUsers([p])).toEqual(["demo"]);
    const boxed = parseProfile(GOOD.replace("  - user: demo", "  - user: demo\n  - container: demo-box"), "/p/demo.yaml");
    expect(profileAgents([boxed], () => undefined)).toEqual([{ name: "demo", command: "demo" }, { name: "demo", container: "demo-box" }]);
    expect(profileWatches([p], ["/home/a", "/home/b/"])).toEqual(["/home/a/.demo", "/home/b/.demo", "/opt/demo/secrets"]);
  });
});

describe("a profile's rules judge the profile's agent only", () => {
  const config = defaultConfig();
  config.profile.name = "full";
  config.sigma.enabled = false;
  const det = createDetector({ config });
  const exec = (agent: string | undefined, argv: string[]): Event => ({
    id: `e-${argv.join("-")}`,
    ts: 1,
    source: "auditd",
    kind: "exec",
    node_id: "n",
    fidelity: "kernel",
    process: { pid: 10, ppid: 9, uid: 1001, auid: 1001, user: "u", exe: `/usr/bin/${argv[0]}`, argv, ...(agent ? { agent } : {}) },
  });
  const rules = (e: Event) => det.evaluate(e).map((a) => a.rule);

  it("mount by OpenClaw is critical and asks for quarantine; by another agent it is not the profile's", () => {
    const a = det.evaluate(exec("openclaw", ["mount", "/dev/sdb1", "/mnt"])).find((x) => x.rule === "openclaw-mount");
    expect(a).toMatchObject({ severity: "critical", action: "quarantine" });
    expect(rules(exec("alice", ["mount", "/dev/sdb1", "/mnt"]))).not.toContain("openclaw-mount");
  });

  it("a tool outside the usual ones is an info alert; a usual one is not", () => {
    expect(rules(exec("openclaw", ["xxd", "-l", "1", "/dev/null"]))).toContain("openclaw-unusual-tool");
    expect(rules(exec("openclaw", ["git", "status"]))).not.toContain("openclaw-unusual-tool");
    expect(rules(exec("claude-code", ["gh", "pr", "list"]))).not.toContain("claude-code-unusual-tool");
    expect(rules(exec("claude-code", ["nmap", "10.0.0.0/24"]))).toContain("claude-code-unusual-tool");
  });

  it("Clawbot's connect off the machine alerts; to its bridge on localhost it does not", () => {
    const net = (address: string): Event => ({ ...exec("clawbot", ["node", "bot.js"]), id: `n-${address}`, kind: "net", syscall: { name: "connect", nr: 42, arch: "x86_64", success: true, exit: 0, args: [] }, net: { family: address.includes(":") ? "inet6" : "inet", address, port: 443 } });
    expect(rules(net("203.0.113.9"))).toContain("clawbot-off-machine");
    expect(rules(net("2001:db8::9"))).toContain("clawbot-off-machine");
    expect(rules(net("127.0.0.1"))).not.toContain("clawbot-off-machine");
    expect(rules(net("::1"))).not.toContain("clawbot-off-machine");
  });

  it("Moltbot recording the screen with ffmpeg alerts; playing a sound does not", () => {
    expect(rules(exec("moltbot", ["ffmpeg", "-f", "x11grab", "-i", ":0", "out.mp4"]))).toContain("moltbot-screen-capture-ffmpeg");
    expect(rules(exec("moltbot", ["paplay", "ding.wav"]))).toEqual([]);
  });
});
