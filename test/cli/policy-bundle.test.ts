// `clawav policy bundle` and `clawav policy bundle-verify`, run as the built CLI, with keys made
// by openssl as a signer would make them.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runCli } from "../helpers/system.js";

const dir = mkdtempSync(join(tmpdir(), "clawav-policy-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = join(dir, "signing.pem");
const pub = join(dir, "signing.pub");
const otherPub = join(dir, "other.pub");
beforeAll(() => {
  const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  openssl(["genpkey", "-algorithm", "ed25519", "-out", key]);
  openssl(["pkey", "-in", key, "-pubout", "-out", pub]);
  const other = join(dir, "other.pem");
  openssl(["genpkey", "-algorithm", "ed25519", "-out", other]);
  openssl(["pkey", "-in", other, "-pubout", "-out", otherPub]);
});

const POLICY = "rules:\n  - name: bundle-cli-nc\n    match:\n      command: [nc]\n    action: warning\n";
const SIGMA = "title: find with -perm -4000\nid: 0c5f2d0e-1d9a-4f5e-9d59-6c1f0f6a0201\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    selection:\n        Image|endswith: '/find'\n        CommandLine|contains: '-perm -4000'\n    condition: selection\nlevel: medium\n";

function rules(name: string): string {
  const d = join(dir, name);
  mkdirSync(join(d, "policies"), { recursive: true, mode: 0o700 });
  mkdirSync(join(d, "sigma", "linux"), { recursive: true, mode: 0o700 });
  mkdirSync(join(d, "patterns"), { recursive: true, mode: 0o700 });
  writeFileSync(join(d, "policies", "a.yaml"), POLICY, { mode: 0o600 });
  writeFileSync(join(d, "policies", "b.yml"), POLICY.replace("bundle-cli-nc", "bundle-cli-nc2"), { mode: 0o600 });
  writeFileSync(join(d, "sigma", "linux", "find_suid.yml"), SIGMA, { mode: 0o600 });
  copyFileSync(join(process.cwd(), "patterns", "commands.json"), join(d, "patterns", "commands.json"));
  return d;
}

describe.skipIf(!existsSync(CLI))("clawav policy bundle / bundle-verify (built CLI)", () => {
  it("bundle: writes FILE 0644 and prints one line with the counts; bundle-verify lists the version and files", async () => {
    const src = rules("good");
    const out = join(dir, "good.json");
    const r = await runCli(["policy", "bundle", src, "-o", out, "--key", key, "--bundle-version", "2026.12.7"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`bundle 2026.12.7: 4 files (2 policies, 1 sigma, 1 pattern database) -> ${out}\n`);
    expect(statSync(out).mode & 0o777).toBe(0o644);
    const b = JSON.parse(readFileSync(out, "utf8")) as { format: string; version: string; files: { path: string }[] };
    expect(b.format).toBe("clawav-bundle/1");
    expect(b.files.map((f) => f.path)).toEqual(["patterns/commands.json", "policies/a.yaml", "policies/b.yml", "sigma/linux/find_suid.yml"]);

    const v = await runCli(["policy", "bundle-verify", out, "--public-key", pub]);
    expect(v.code).toBe(0);
    const lines = v.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^OK: ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: bundle 2026\\.12\\.7 \\(created \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\), 4 files \\(2 policies, 1 sigma, 1 pattern database\\), signature valid$`));
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/)[2])).toEqual(["patterns/commands.json", "policies/a.yaml", "policies/b.yml", "sigma/linux/find_suid.yml"]);
  });

  it("bundle: the version from DIR/VERSION; the file is 0644 whatever was there before", async () => {
    const src = rules("versionfile");
    writeFileSync(join(src, "VERSION"), "42\n", { mode: 0o644 });
    const out = join(dir, "v42.json");
    writeFileSync(out, "old", { mode: 0o600 });
    const r = await runCli(["policy", "bundle", src, "-o", out, "--key", key]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^bundle 42: 4 files /);
    expect(statSync(out).mode & 0o777).toBe(0o644);
  });

  it("bundle-verify: a changed bundle, or one signed with another key, exits 1 with one line saying why", async () => {
    const src = rules("tamper");
    const out = join(dir, "tamper.json");
    expect((await runCli(["policy", "bundle", src, "-o", out, "--key", key, "--bundle-version", "3"])).code).toBe(0);
    const text = readFileSync(out, "utf8");

    const versionChanged = join(dir, "tamper-version.json");
    writeFileSync(versionChanged, text.replace('"version":"3"', '"version":"4"'), { mode: 0o644 });
    const a = await runCli(["policy", "bundle-verify", versionChanged, "--public-key", pub]);
    expect(a.code).toBe(1);
    expect(a.stdout).toBe("");
    expect(a.stderr).toBe(`clawav: policy bundle-verify: ${versionChanged}: bad signature: the bundle was changed after it was signed, or signed with another key\n`);

    const contentChanged = join(dir, "tamper-content.json");
    writeFileSync(contentChanged, text.replace("command: [nc]", "command: [nd]"), { mode: 0o644 });
    const b = await runCli(["policy", "bundle-verify", contentChanged, "--public-key", pub]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^clawav: policy bundle-verify: .*: policies\/a\.yaml: its content does not match its sha256 .*\n$/);

    const c = await runCli(["policy", "bundle-verify", out, "--public-key", otherPub]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/bad signature/);
  });

  it("bundle: a broken policy is refused, naming file:line, and nothing is written", async () => {
    const src = rules("broken");
    const bad = join(src, "policies", "broken.yaml");
    writeFileSync(bad, "rules:\n  - name: a\n    match:\n      comand: [curl]\n    action: critical\n", { mode: 0o600 });
    const out = join(dir, "broken.json");
    const r = await runCli(["policy", "bundle", src, "-o", out, "--key", key, "--bundle-version", "1"]);
    expect(r.code).toBe(65);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${bad}:4:7: rules[0].match.comand: unknown key`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  it("bundle: a missing key file (66), a key that is not a private key (65), no version (64)", async () => {
    const src = rules("errors");
    const out = join(dir, "errors.json");
    const a = await runCli(["policy", "bundle", src, "-o", out, "--key", join(dir, "nokey.pem"), "--bundle-version", "1"]);
    expect(a.code).toBe(66);
    expect(a.stderr).toBe(`clawav: policy bundle: ${join(dir, "nokey.pem")}: cannot read the key (ENOENT)\n`);
    const b = await runCli(["policy", "bundle", src, "-o", out, "--key", pub, "--bundle-version", "1"]);
    expect(b.code).toBe(65);
    expect(b.stderr).toMatch(/^clawav: policy bundle: the signing key is not a PEM private key/);
    const c = await runCli(["policy", "bundle", src, "-o", out, "--key", key]);
    expect(c.code).toBe(64);
    expect(c.stderr).toMatch(/no version: give --bundle-version V or write it in .*VERSION/);
    expect(existsSync(out)).toBe(false);
  });

  it("bundle-verify: a file that is not there exits 66; one that is not JSON exits 1", async () => {
    const a = await runCli(["policy", "bundle-verify", join(dir, "none.json"), "--public-key", pub]);
    expect(a.code).toBe(66);
    const notJson = join(dir, "not.json");
    writeFileSync(notJson, "{", { mode: 0o644 });
    const b = await runCli(["policy", "bundle-verify", notJson, "--public-key", pub]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^clawav: policy bundle-verify: .*not\.json: not JSON/);
  });
});
