// What the installer writes, checked by the tools that will read it: systemd-analyze for the
// unit, apparmor_parser for the profile, visudo for the sudoers entry, clawav's loader for the config.
import { spawnSync } from "node:child_process";
import { mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/index.js";
import { apparmorProfile, DEFAULT_PLACES, installedConfig, serviceUnit, sudoersEntry } from "../../src/install/index.js";
import { CLI } from "../helpers/system.js";

const dir = mkdtempSync(join(tmpdir(), "clawav-install-art-"));
const node = realpathSync(process.execPath);

describe("the installer's files, read by their own tools", () => {
  it("the unit passes systemd-analyze verify with nothing to say, and carries the watchdog and hardening", () => {
    const text = serviceUnit({ node, cli: CLI, configFile: "/etc/clawav/config.toml", writable: ["/var/lib/clawav", "/var/log/clawav", "/run/clawav", "/etc/clawav"] });
    const file = join(dir, "clawav.service");
    writeFileSync(file, text);
    const r = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
    expect([r.status, r.stdout + r.stderr]).toEqual([0, ""]);
    for (const l of ["Type=notify", "NotifyAccess=all", "WatchdogSec=30", "Restart=always", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=read-only", "StartLimitIntervalSec=0"]) expect(text).toContain(`${l}\n`);
    // A unit systemd would only warn about is caught too: the check is real.
    writeFileSync(file, text.replace("Type=notify", "Type=notifyy"));
    const bad = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
    expect(bad.stdout + bad.stderr).toContain("Failed to parse service type");
  });

  it("the AppArmor profile parses (apparmor_parser, without loading it), and a broken one does not", () => {
    const file = join(dir, "clawav-agent");
    const text = apparmorProfile(DEFAULT_PLACES);
    writeFileSync(file, text);
    const r = spawnSync("apparmor_parser", ["-Q", "-K", file], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(text).toContain("deny /var/lib/clawav/** rwlk,");
    writeFileSync(file, text.replace("deny /etc/audit", "denyx /etc/audit"));
    expect(spawnSync("apparmor_parser", ["-Q", "-K", file], { encoding: "utf8" }).status).not.toBe(0);
  });

  it("the sudoers entry passes visudo and gives clawsudo only", () => {
    const file = join(dir, "sudoers");
    const text = sudoersEntry("clawavtest", node, "/opt/clawav/dist/cli/clawsudo.js", "/etc/clawav/config.toml");
    writeFileSync(file, text, { mode: 0o440 });
    const r = spawnSync("visudo", ["-c", "-q", "-f", file], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(text.split("\n").filter((l) => l.includes("NOPASSWD"))).toEqual(["clawavtest ALL=(root) NOPASSWD: CLAWSUDO_CLAWAVTEST"]);
  });

  it("the installed config parses to the choices made", () => {
    const { text } = installedConfig({ source: "/x", node, agents: [{ name: "clawavtest", uid: 1001 }], profile: "openclaw", harden: [], places: DEFAULT_PLACES, showKey: () => {} });
    const c = parseConfig(text, "/etc/clawav/config.toml");
    expect(c.agents).toEqual([{ name: "clawavtest", uid: 1001 }]);
    expect(c.profile.name).toBe("openclaw");
    expect(c.admin.socket).toBe("/run/clawav/admin.sock");
    expect(c.preload).toMatchObject({ library: "/opt/clawav/native/preload/build/libclawguard.so", policy_file: "/etc/clawav/preload-policy.json" });
  });
});
