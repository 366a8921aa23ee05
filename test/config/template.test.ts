import { describe, expect, it } from "vitest";
import { configTemplate, defaultConfig, parseConfig } from "../../src/config/index.js";

describe("the installed config template", () => {
  it("as written, is exactly the built-in defaults", () => {
    expect(parseConfig(configTemplate(), "config.toml")).toEqual(defaultConfig());
  });

  it("every key uncommented at once still parses, to the defaults (each default is written as the loader reads it)", () => {
    // From the first section on (above it: the [[agents]] example, which is not a default).
    const lines = configTemplate().split("\n");
    const first = lines.findIndex((l) => /^\[[a-z]+\]$/.test(l));
    const all = lines.map((l, i) => (i > first && /^# [a-z_]+ = /.test(l) && !l.includes("(unset)") ? l.slice(2) : l)).join("\n");
    expect(parseConfig(all, "config.toml")).toEqual(defaultConfig());
  });

  it("names every key of every section, and none the loader refuses (general.log_file)", () => {
    const t = configTemplate();
    for (const [section, values] of Object.entries(defaultConfig())) {
      if (typeof values !== "object" || Array.isArray(values)) continue;
      for (const key of Object.keys(values)) expect(t, `${section}.${key}`).toMatch(new RegExp(`^# ${key} = `, "m"));
    }
    expect(t).toContain("# webhook_url =            (unset)");
    expect(t).not.toContain("log_file");
  });

  it("the installer's choices are live: agents, profile, and keys it sets", () => {
    const c = parseConfig(configTemplate({ agents: [{ name: "openclaw", uid: 1001 }], profile: "openclaw", set: { preload: { library: "/opt/clawav/native/preload/build/libclawguard.so" } } }), "config.toml");
    expect(c.agents).toEqual([{ name: "openclaw", uid: 1001 }]);
    expect(c.profile.name).toBe("openclaw");
    expect(c.preload.library).toBe("/opt/clawav/native/preload/build/libclawguard.so");
  });
});
