import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyBundle, BUNDLE_FORMAT, BundleError, bundleText, compareVersions, countsOf, loadCurrent, makeBundle, MAX_BUNDLE_BYTES, MAX_BUNDLE_FILES, parseBundle, sha256Hex, signBundle, type Bundle, type BundleErrorReason, type BundleFile } from "../../src/bundle/index.js";
import { UserError } from "../../src/errors/index.js";
import { PATTERNS_DIR } from "../../src/patterns/index.js";

const root = mkdtempSync(join(tmpdir(), "clawav-bundle-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const pair = () => {
  const k = generateKeyPairSync("ed25519");
  return { priv: k.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), pub: k.publicKey.export({ type: "spki", format: "pem" }).toString() };
};
const key = pair();
const other = pair();

const POLICY = `rules:
  - name: bundle-test-nc
    description: netcat to anywhere
    match:
      command: [nc, ncat]
    action: warning
`;
const SIGMA = `title: Shell started by a Python one-liner
id: 0c5f2d0e-1d9a-4f5e-9d59-6c1f0f6a0104
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        ParentImage|contains: '/python'
        Image|endswith: '/sh'
    condition: selection
level: high
`;
/** Uses a modifier clawav refuses (not supported): a bundle may carry it, as the loader reports it and goes on. */
const SIGMA_UNSUPPORTED = `title: Placeholder rule
id: 0c5f2d0e-1d9a-4f5e-9d59-6c1f0f6a0105
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|expand: '%admin_tools%'
    condition: selection
level: low
`;

const file = (path: string, content: string): BundleFile => ({ path, sha256: sha256Hex(content), content });
const sample = (version = "2026.12.7", files: BundleFile[] = [file("policies/site.yaml", POLICY), file("sigma/linux/proc.yml", SIGMA)]): Bundle =>
  signBundle({ format: BUNDLE_FORMAT, version, created: "2026-12-07T10:00:00.000Z", files }, key.priv);

function errorOf(text: string | Buffer, pub = key.pub): BundleError {
  const r = parseBundle(text, pub);
  if (!("error" in r)) throw new Error("expected the bundle to be refused");
  return r.error;
}
const reasonOf = (text: string | Buffer, pub?: string): BundleErrorReason => errorOf(text, pub).reason;

/** A folder for makeBundle: a policy, a Sigma rule in a sub-folder, the shipped commands database. */
function ruleDir(name: string): string {
  const d = join(root, name);
  mkdirSync(join(d, "policies"), { recursive: true, mode: 0o700 });
  mkdirSync(join(d, "sigma", "linux", "proc"), { recursive: true, mode: 0o700 });
  mkdirSync(join(d, "patterns"), { recursive: true, mode: 0o700 });
  writeFileSync(join(d, "policies", "site.yaml"), POLICY, { mode: 0o600 });
  writeFileSync(join(d, "sigma", "linux", "proc", "python_shell.yml"), SIGMA, { mode: 0o600 });
  copyFileSync(join(PATTERNS_DIR, "commands.json"), join(d, "patterns", "commands.json"));
  return d;
}

function userErrorOf(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}

describe("signing and verifying", () => {
  it("a signed bundle verifies and reads back as it was made", () => {
    const b = sample();
    const r = parseBundle(bundleText(b), key.pub);
    expect("bundle" in r && r.bundle).toEqual(b);
    expect(b.files.map((f) => f.path)).toEqual(["policies/site.yaml", "sigma/linux/proc.yml"]);
  });
  it("verifies whatever the file's key order, whitespace and file order (the signature is over the canonical form)", () => {
    const b = sample();
    const shuffled = { signature: b.signature, files: [...b.files].reverse().map((f) => ({ content: f.content, path: f.path, sha256: f.sha256 })), created: b.created, version: b.version, format: b.format };
    const r = parseBundle(JSON.stringify(shuffled, null, 4), key.pub);
    expect("bundle" in r).toBe(true);
  });
  it("a changed byte in a file's content is refused: by its sha256, or by the signature when the sha256 was changed too", () => {
    const b = sample();
    const text = bundleText(b);
    const changed = text.replace("command: [nc, ncat]", "command: [nc, ncas]");
    expect(changed).not.toBe(text);
    expect(errorOf(changed)).toMatchObject({ reason: "sha256", message: expect.stringMatching(/^policies\/site\.yaml: its content does not match its sha256/) as unknown });
    const f0 = b.files[0]!;
    const content = f0.content.replace("ncat", "ncas");
    const forged = { ...b, files: [{ ...f0, content, sha256: sha256Hex(content) }, ...b.files.slice(1)] };
    expect(errorOf(bundleText(forged))).toMatchObject({ reason: "signature", message: expect.stringMatching(/^bad signature/) as unknown });
  });
  it("a changed version or creation time is refused by the signature", () => {
    const b = sample("2026.12.7");
    expect(reasonOf(bundleText({ ...b, version: "2026.12.8" }))).toBe("signature");
    expect(reasonOf(bundleText({ ...b, created: "2026-12-08T10:00:00.000Z" }))).toBe("signature");
  });
  it("a file dropped or added after signing is refused", () => {
    const b = sample();
    expect(reasonOf(bundleText({ ...b, files: b.files.slice(1) }))).toBe("signature");
    expect(reasonOf(bundleText({ ...b, files: [...b.files, file("policies/extra.yaml", POLICY)] }))).toBe("signature");
  });
  it("a bundle signed with another key is refused", () => {
    expect(reasonOf(bundleText(sample()), other.pub)).toBe("signature");
  });
  it("a public key that is not Ed25519 is its own error, not a bad bundle", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(reasonOf(bundleText(sample()), rsa)).toBe("key");
    expect(reasonOf(bundleText(sample()), "not a key")).toBe("key");
  });
});

describe("paths", () => {
  const refused: [string, RegExp][] = [
    ["/etc/clawav/policies/x.yaml", /absolute/],
    ["policies/../../etc/cron.d/x.yaml", /\.\./],
    ["sigma/../../../root/.bashrc.yml", /\.\./],
    ["policies/../patterns/x.json", /\.\./],
    ["bin/x.yaml", /outside policies\/, sigma\/ and patterns\//],
    ["x.yaml", /outside/],
    ["policies/x.sh", /\.yaml or \.yml/],
    ["patterns/x.yaml", /\.json/],
    ["sigma/linux/x.json", /\.yml or \.yaml/],
    ["policies/sub/x.yaml", /files only/],
    ["policies\\x.yaml", /backslash/],
    ["policies//x.yaml", /empty/],
    ["policies/./x.yaml", /empty or \. segment/],
    ["sigma/.hidden/x.yml", /dot/],
    ["sigma/a/b/c/d/e/f/g/h/i/x.yml", /deep/],
  ];
  for (const [path, why] of refused) {
    it(`refuses ${JSON.stringify(path)}`, () => {
      // Signed, so the refusal is the path check's and not the signature's.
      const e = errorOf(bundleText(sample("1", [file(path, "rules: []\n")])));
      expect(e.reason).toBe("path");
      expect(e.message).toMatch(why);
      expect(e.message).toContain(JSON.stringify(path));
    });
  }
  it("refuses a path named twice", () => {
    expect(errorOf(bundleText(sample("1", [file("policies/a.yaml", POLICY), file("policies/a.yaml", POLICY)])))).toMatchObject({ reason: "path", message: expect.stringMatching(/named twice/) as unknown });
  });
  it("takes nested Sigma folders and .yml, .yaml, .json where they belong", () => {
    const r = parseBundle(bundleText(sample("1", [file("policies/a.yml", POLICY), file("policies/b.YAML", POLICY), file("sigma/a/b/c/d/e/f/g/h/x.yml", SIGMA), file("patterns/commands.json", "{}")])), key.pub);
    expect("bundle" in r).toBe(true);
  });
});

describe("the shape of a bundle", () => {
  it("not JSON is malformed", () => {
    expect(reasonOf("{ not json")).toBe("malformed");
    expect(errorOf("").message).toMatch(/^not JSON/);
  });
  it("a missing, extra or wrong key is a schema error that names the key", () => {
    const b = JSON.parse(bundleText(sample())) as Record<string, unknown>;
    const bad = (change: (x: Record<string, unknown>) => void) => {
      const c = structuredClone(b);
      change(c);
      return errorOf(JSON.stringify(c));
    };
    expect(bad((x) => delete x.signature)).toMatchObject({ reason: "schema", message: expect.stringMatching(/^signature: /) as unknown });
    expect(bad((x) => (x.format = "clawav-bundle/2"))).toMatchObject({ reason: "schema", message: expect.stringMatching(/^format: /) as unknown });
    expect(bad((x) => (x.extra = 1))).toMatchObject({ reason: "schema" });
    expect(bad((x) => (x.version = "v2"))).toMatchObject({ reason: "schema", message: expect.stringMatching(/^version: dotted numbers/) as unknown });
    expect(bad((x) => (x.created = "yesterday"))).toMatchObject({ reason: "schema", message: expect.stringMatching(/^created: /) as unknown });
    expect(bad((x) => ((x.files as Record<string, unknown>[])[1]!.sha256 = "ABC"))).toMatchObject({ reason: "schema", message: expect.stringMatching(/^files\.1\.sha256: /) as unknown });
    expect(bad((x) => (x.files = []))).toMatchObject({ reason: "schema", message: expect.stringMatching(/^files: /) as unknown });
    expect(bad((x) => (x.signature = "c2lnbmF0dXJl"))).toMatchObject({ reason: "schema", message: expect.stringMatching(/^signature: /) as unknown });
  });
  it(`more than ${MAX_BUNDLE_FILES} files, or more than ${MAX_BUNDLE_BYTES} bytes, is too large`, () => {
    const many = Array.from({ length: MAX_BUNDLE_FILES + 1 }, (_, i) => file(`policies/p${i}.yaml`, "rules: []\n"));
    expect(errorOf(bundleText(sample("1", many)))).toMatchObject({ reason: "too-large", message: expect.stringMatching(/2001 files/) as unknown });
    const big = "#".repeat(MAX_BUNDLE_BYTES);
    expect(errorOf(bundleText(sample("1", [file("policies/big.yaml", big)])))).toMatchObject({ reason: "too-large", message: expect.stringMatching(/bytes, over the 16777216/) as unknown });
    expect(reasonOf(Buffer.alloc(MAX_BUNDLE_BYTES + 1, 0x20))).toBe("too-large");
  });
});

describe("compareVersions", () => {
  it("compares component by component, as numbers", () => {
    expect(compareVersions("1.10", "1.9")).toBe(1);
    expect(compareVersions("1.9", "1.10")).toBe(-1);
    expect(compareVersions("2026.12.7", "2026.12.10")).toBe(-1);
    expect(compareVersions("42", "9")).toBe(1);
    expect(compareVersions("42", "42")).toBe(0);
    expect(compareVersions("1.2", "1.2.0")).toBe(0);
    expect(compareVersions("1.2", "1.2.1")).toBe(-1);
    expect(compareVersions("2", "1.99.99")).toBe(1);
    expect(compareVersions("007", "7")).toBe(0);
    // Past 2^53, where Number() would call these equal.
    expect(compareVersions("9007199254740993", "9007199254740992")).toBe(1);
  });
  it("a version that is not dotted numbers is a schema error", () => {
    for (const v of ["", "v1", "1.", ".1", "1..2", "1.2-beta", "1.2.3.4.5.6.7.8.9", " 1", "1e3", "-1"]) {
      let err: unknown;
      try {
        compareVersions(v, "1");
      } catch (e) {
        err = e;
      }
      expect(err, v).toBeInstanceOf(BundleError);
      expect((err as BundleError).reason).toBe("schema");
      expect(() => compareVersions("1", v)).toThrow(BundleError);
    }
  });
});

describe("makeBundle", () => {
  const now = new Date("2026-12-07T10:00:00.000Z");
  it("bundles policies, nested Sigma rules and pattern databases, signed and sorted", () => {
    const d = ruleDir("good");
    writeFileSync(join(d, "sigma", "linux", "unsupported.yml"), SIGMA_UNSUPPORTED, { mode: 0o600 });
    writeFileSync(join(d, "policies", "clawsudo.yaml"), readFileSync(join(process.cwd(), "policies", "clawsudo.yaml"), "utf8"), { mode: 0o600 });
    const b = makeBundle(d, key.priv, "2026.12.7", now);
    expect(b.version).toBe("2026.12.7");
    expect(b.created).toBe("2026-12-07T10:00:00.000Z");
    expect(b.files.map((f) => f.path)).toEqual(["patterns/commands.json", "policies/clawsudo.yaml", "policies/site.yaml", "sigma/linux/proc/python_shell.yml", "sigma/linux/unsupported.yml"]);
    expect(countsOf(b)).toEqual({ files: 5, policies: 2, sigma: 2, patterns: 1 });
    expect(b.files.find((f) => f.path === "policies/site.yaml")?.content).toBe(POLICY);
    const r = parseBundle(bundleText(b), key.pub);
    expect("bundle" in r).toBe(true);
  });
  it("takes the version from DIR/VERSION when none is given, and refuses one that is not dotted numbers", () => {
    const d = ruleDir("versionfile");
    expect(userErrorOf(() => makeBundle(d, key.priv, undefined, now)).message).toMatch(/no version: give --bundle-version V or write it in .*VERSION/);
    writeFileSync(join(d, "VERSION"), "2027.1.2\n", { mode: 0o644 });
    expect(makeBundle(d, key.priv, undefined, now).version).toBe("2027.1.2");
    expect(userErrorOf(() => makeBundle(d, key.priv, "1.2-beta", now)).message).toMatch(/"1\.2-beta" is not dotted numbers/);
  });
  it("refuses a broken policy, naming the file and line", () => {
    const d = ruleDir("badpolicy");
    const bad = join(d, "policies", "broken.yaml");
    writeFileSync(bad, "rules:\n  - name: a\n    match:\n      comand: [curl]\n    action: critical\n", { mode: 0o600 });
    const e = userErrorOf(() => makeBundle(d, key.priv, "1", now));
    expect(e.exitCode).toBe(65);
    expect(e.message).toContain(`${bad}:4:7: rules[0].match.comand: unknown key`);
  });
  it("refuses a broken clawsudo policy too", () => {
    const d = ruleDir("badclawsudo");
    const bad = join(d, "policies", "clawsudo-site.yaml");
    writeFileSync(bad, "rules:\n  - name: a\n    match:\n      comand: [curl]\n    action: critical\n", { mode: 0o600 });
    expect(userErrorOf(() => makeBundle(d, key.priv, "1", now)).message).toContain(`${bad}:4:`);
  });
  it("refuses a malformed Sigma rule, naming the file, but takes one refused as unsupported", () => {
    const d = ruleDir("badsigma");
    const bad = join(d, "sigma", "linux", "broken.yml");
    writeFileSync(bad, "title: x\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    selection:\n        Image: [1, [2]]\n    condition: selection\n", { mode: 0o600 });
    expect(userErrorOf(() => makeBundle(d, key.priv, "1", now)).message).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(:\\d+)?: .*Sigma: `));
  });
  it("refuses a broken pattern database (no .sig needed for a good one)", () => {
    const d = ruleDir("badpatterns");
    const bad = join(d, "patterns", "privacy.json");
    writeFileSync(bad, '{\n  "name": "privacy",\n  "version": "1.0",\n  "updated": "2026-12-06",\n  "entries": []\n}\n', { mode: 0o600 });
    const e = userErrorOf(() => makeBundle(d, key.priv, "1", now));
    expect(e.message).toContain(`${bad}:3: version: a version such as 1.2.0`);
    expect(existsSync(join(d, "patterns", "commands.json.sig"))).toBe(false);
  });
  it("refuses an empty folder, a missing one, and a file that is not UTF-8", () => {
    const empty = join(root, "empty");
    mkdirSync(join(empty, "policies"), { recursive: true, mode: 0o700 });
    expect(userErrorOf(() => makeBundle(empty, key.priv, "1", now)).message).toMatch(/holds nothing to bundle/);
    expect(userErrorOf(() => makeBundle(join(root, "nowhere"), key.priv, "1", now))).toMatchObject({ exitCode: 66 });
    const d = ruleDir("latin1");
    const bad = join(d, "sigma", "linux", "latin1.yml");
    writeFileSync(bad, Buffer.concat([Buffer.from(SIGMA.replace("Shell started", "Shell d")), Buffer.from([0x23, 0xe9, 0x0a])]), { mode: 0o600 });
    expect(userErrorOf(() => makeBundle(d, key.priv, "1", now)).message).toContain(`${bad}: not UTF-8 text`);
  });
  it("refuses a signing key that is not Ed25519", () => {
    const d = ruleDir("rsakey");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(userErrorOf(() => makeBundle(d, rsa, "1", now)).message).toMatch(/not Ed25519/);
  });
});

describe("the store", () => {
  const mode = (p: string) => statSync(p).mode & 0o777;
  it("writes the files (folders 0700, files 0600) and current.json (0600), and removes older versions", () => {
    const state = mkdtempSync(join(root, "state-"));
    const b1 = sample("1");
    const dir1 = applyBundle(b1, state);
    expect(dir1).toBe(join(state, "bundle", "1"));
    expect(readFileSync(join(dir1, "policies", "site.yaml"), "utf8")).toBe(POLICY);
    expect(readFileSync(join(dir1, "sigma", "linux", "proc.yml"), "utf8")).toBe(SIGMA);
    expect(mode(join(state, "bundle"))).toBe(0o700);
    expect(mode(dir1)).toBe(0o700);
    expect(mode(join(dir1, "sigma", "linux"))).toBe(0o700);
    expect(mode(join(dir1, "policies", "site.yaml"))).toBe(0o600);
    expect(mode(join(state, "bundle", "current.json"))).toBe(0o600);
    const b2 = sample("2", [file("policies/other.yaml", POLICY)]);
    const dir2 = applyBundle(b2, state);
    expect(existsSync(dir1)).toBe(false);
    expect(existsSync(join(dir2, "policies", "other.yaml"))).toBe(true);
    const cur = loadCurrent(state, key.pub);
    expect(cur?.bundle.version).toBe("2");
    expect(cur?.dir).toBe(dir2);
  });
  it("keeps the raw signed file as given", () => {
    const state = mkdtempSync(join(root, "state-"));
    const b = sample("3");
    const raw = JSON.stringify(JSON.parse(bundleText(b)), null, 2);
    applyBundle(b, state, raw);
    expect(readFileSync(join(state, "bundle", "current.json"), "utf8")).toBe(raw);
    expect(loadCurrent(state, key.pub)?.bundle.version).toBe("3");
  });
  it("loadCurrent: nothing when there is no bundle, nothing (and why) when current.json does not verify", () => {
    const state = mkdtempSync(join(root, "state-"));
    expect(loadCurrent(state, key.pub)).toBeUndefined();
    applyBundle(sample("4"), state);
    const why: string[] = [];
    expect(loadCurrent(state, other.pub, (r) => why.push(r))).toBeUndefined();
    expect(why.join("\n")).toMatch(/current\.json: bad signature/);
    const cur = join(state, "bundle", "current.json");
    writeFileSync(cur, readFileSync(cur, "utf8").replace('"version":"4"', '"version":"5"'));
    expect(loadCurrent(state, key.pub, (r) => why.push(r))).toBeUndefined();
    expect(why[1]).toMatch(/bad signature/);
  });
  it("loadCurrent writes the folder again from current.json when a file there was changed, removed or added", () => {
    const state = mkdtempSync(join(root, "state-"));
    const dir = applyBundle(sample("6"), state);
    writeFileSync(join(dir, "policies", "site.yaml"), "rules: []\n");
    writeFileSync(join(dir, "policies", "planted.yaml"), POLICY);
    rmSync(join(dir, "sigma"), { recursive: true });
    expect(loadCurrent(state, key.pub)?.dir).toBe(dir);
    expect(readFileSync(join(dir, "policies", "site.yaml"), "utf8")).toBe(POLICY);
    expect(existsSync(join(dir, "policies", "planted.yaml"))).toBe(false);
    expect(readFileSync(join(dir, "sigma", "linux", "proc.yml"), "utf8")).toBe(SIGMA);
  });
});
