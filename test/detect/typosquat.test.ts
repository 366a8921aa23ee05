import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ECOSYSTEMS, loadPopular, normalize, parseInstall, typosquatOf, type Ecosystem } from "../../src/detect/supply/typosquat.js";

const DIR = join(process.cwd(), "policies", "packages");
const popular = loadPopular(DIR);
const split = (cmd: string): string[] => cmd.split(" ");

describe("the popular package lists", () => {
  const minimum: Record<Ecosystem, number> = { npm: 400, pypi: 300, crates: 150, go: 100 };

  it.each(ECOSYSTEMS)("%s.json names its source and date and holds enough distinct names", (eco) => {
    const doc = JSON.parse(readFileSync(join(DIR, `${eco}.json`), "utf8")) as { source: string; generated: string; packages: string[] };
    expect(doc.source).toMatch(/rankings?/);
    expect(doc.generated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(doc.packages.length).toBeGreaterThanOrEqual(minimum[eco]);
    // No two entries the registry would consider the same package.
    expect(new Set(doc.packages.map((n) => normalize(eco, n))).size).toBe(doc.packages.length);
    expect(popular[eco].size).toBe(doc.packages.length);
  });

  it("cites the download-count source of each ecosystem", () => {
    const source = (eco: Ecosystem) => (JSON.parse(readFileSync(join(DIR, `${eco}.json`), "utf8")) as { source: string }).source;
    expect(source("npm")).toContain("api.npmjs.org/downloads");
    expect(source("pypi")).toMatch(/BigQuery/);
    expect(source("pypi")).toContain("top-pypi-packages");
    expect(source("crates")).toMatch(/crates\.io.*(dump|downloads)/);
    expect(source("go")).toContain("proxy.golang.org");
    expect(source("go")).toContain("pkg.go.dev");
  });

  it("keeps PyPI names in their PEP 503 form and Go entries as module paths", () => {
    for (const name of popular.pypi) expect(name).toBe(normalize("pypi", name));
    for (const path of popular.go) expect(path).toMatch(/^[a-z0-9.-]+\.[a-z]+\/\S+$/i);
    expect(popular.go.has("github.com/stretchr/testify")).toBe(true);
  });

  it.each(ECOSYSTEMS)("judges no name on the %s list a squat of another", (eco) => {
    const flagged = [...popular[eco]].filter((name) => typosquatOf(eco, name, popular) !== undefined);
    expect(flagged).toEqual([]);
  });
});

describe("loadPopular", () => {
  const dirs: string[] = [];
  const copy = () => {
    const d = mkdtempSync(join(tmpdir(), "clawav-popular-"));
    dirs.push(d);
    cpSync(DIR, d, { recursive: true });
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("returns one set per ecosystem, in list order", () => {
    expect(Object.keys(popular).sort()).toEqual(["crates", "go", "npm", "pypi"]);
    expect(popular.npm.has("lodash")).toBe(true);
    expect(popular.pypi.has("requests")).toBe(true);
    expect(popular.crates.has("serde_json")).toBe(true);
    expect([...popular.pypi][0]).toBe("boto3");
  });

  it("names the file that is not valid JSON", () => {
    const d = copy();
    writeFileSync(join(d, "crates.json"), '{"packages": ["serde",');
    expect(() => loadPopular(d)).toThrow(/crates\.json.*not valid JSON/);
  });

  it("names the file whose packages are not a list of names", () => {
    const d = copy();
    writeFileSync(join(d, "go.json"), '{"packages": "github.com/spf13/cobra"}');
    expect(() => loadPopular(d)).toThrow(/go\.json.*"packages" must be an array/);
    writeFileSync(join(d, "go.json"), '{"packages": ["ok", 3]}');
    expect(() => loadPopular(d)).toThrow(/go\.json/);
  });

  it("names a missing file", () => {
    const d = copy();
    rmSync(join(d, "pypi.json"));
    expect(() => loadPopular(d)).toThrow(/pypi\.json.*cannot read/);
  });
});

describe("normalize", () => {
  it("folds names the way each registry does", () => {
    expect(normalize("npm", "@Types/Node")).toBe("@types/node");
    expect(normalize("npm", "cross_env")).toBe("cross_env");
    expect(normalize("pypi", "Python__Date.-Util")).toBe("python-date-util");
    expect(normalize("pypi", "zope.interface")).toBe("zope-interface");
    expect(normalize("crates", "Serde_JSON")).toBe("serde-json");
    expect(normalize("crates", "serde-json")).toBe(normalize("crates", "serde_json"));
    expect(normalize("go", "github.com/BurntSushi/toml")).toBe("github.com/burntsushi/toml");
  });
});

describe("typosquatOf: popular names pass", () => {
  const cases: [Ecosystem, string][] = [
    ["npm", "lodash"],
    ["npm", "express"],
    ["npm", "react"],
    ["npm", "react-dom"],
    ["npm", "@types/node"],
    ["npm", "@babel/core"],
    ["npm", "babel-core"],
    ["npm", "Lodash"],
    ["pypi", "requests"],
    ["pypi", "numpy"],
    ["pypi", "Django"],
    ["pypi", "python_dateutil"], // the same project as python-dateutil (PEP 503)
    ["pypi", "PyYAML"],
    ["crates", "serde"],
    ["crates", "tokio"],
    ["crates", "serde-json"], // crates.io treats - and _ as one
    ["go", "github.com/spf13/cobra"],
    ["go", "github.com/spf13/cobra/doc"], // a package inside a popular module
    ["go", "github.com/go-chi/chi/v5/middleware"],
    ["go", "github.com/go-chi/chi/v4"], // another major version of a popular module
    ["go", "gopkg.in/yaml.v1"],
    ["go", "github.com/burntsushi/toml"],
    ["go", "golang.org/x/tools/cmd/goimports"],
  ];
  it.each(cases)("%s %s", (eco, name) => {
    expect(popular[eco].size).toBeGreaterThan(0);
    expect(typosquatOf(eco, name, popular)).toBeUndefined();
  });
});

describe("typosquatOf: squats are caught with their target and trick", () => {
  const cases: [Ecosystem, string, string, string, number][] = [
    ["npm", "lodahs", "lodash", "swapped-letters", 1],
    ["npm", "axois", "axios", "swapped-letters", 1],
    ["npm", "expres", "express", "dropped-letter", 1],
    ["npm", "expresss", "express", "doubled-letter", 1],
    ["npm", "crossenv", "cross-env", "separator", 1],
    ["npm", "cross_env", "cross-env", "separator", 1],
    ["npm", "l0dash", "lodash", "homoglyph", 1],
    ["npm", "rnoment", "moment", "homoglyph", 2],
    ["npm", "types-node", "@types/node", "scope-dropped", 2],
    ["npm", "babelcore", "@babel/core", "scope-dropped", 2],
    ["npm", "@cross/env", "cross-env", "scope-added", 2],
    ["npm", "@typess/node", "@types/node", "scope-swapped", 1],
    ["npm", "@babeljs/core", "@babel/core", "scope-swapped", 2],
    ["npm", "lodash.js", "lodash", "affix", 3],
    ["npm", "node-lodash", "lodash", "affix", 5],
    ["npm", "lodash-js", "lodash", "affix", 3],
    ["npm", "LODAHS", "lodash", "swapped-letters", 1],
    ["pypi", "reqeusts", "requests", "swapped-letters", 1],
    ["pypi", "python-dateutl", "python-dateutil", "dropped-letter", 1],
    ["pypi", "pythondateutil", "python-dateutil", "separator", 1],
    ["pypi", "djangoo", "django", "doubled-letter", 1],
    ["pypi", "colourama", "colorama", "extra-letter", 1],
    ["pypi", "urlib3", "urllib3", "dropped-letter", 1],
    ["pypi", "nunpy", "numpy", "replaced-letter", 1],
    ["pypi", "nurnpy", "numpy", "homoglyph", 2],
    ["pypi", "py-requests", "requests", "affix", 3],
    ["pypi", "requests_py", "requests", "affix", 3],
    ["crates", "serde_jsonn", "serde_json", "doubled-letter", 1],
    ["crates", "serdejson", "serde_json", "separator", 1],
    ["crates", "tokoi", "tokio", "swapped-letters", 1],
    ["crates", "serde-rs", "serde", "affix", 3],
    ["crates", "rust_tokio", "tokio", "affix", 5],
    ["go", "github.com/stretchr/testfy", "github.com/stretchr/testify", "dropped-letter", 1],
    ["go", "github.com/stretch/testify", "github.com/stretchr/testify", "dropped-letter", 1],
    ["go", "github.com/spf13/cobraa/doc", "github.com/spf13/cobra", "doubled-letter", 1],
    ["go", "github.com/sirupsen/1ogrus", "github.com/sirupsen/logrus", "homoglyph", 1],
    ["go", "github.com/gochi/chi/v5", "github.com/go-chi/chi/v5", "separator", 1],
    ["go", "github.com/spf13/go-cobra", "github.com/spf13/cobra", "affix", 3],
  ];
  it.each(cases)("%s %s → %s (%s)", (eco, name, target, kind, distance) => {
    expect(typosquatOf(eco, name, popular)).toEqual({ target, kind, distance });
  });

  it("reports the popular name as published, not its normalised form", () => {
    expect(typosquatOf("crates", "serde-jsn", popular)?.target).toBe("serde_json");
    expect(typosquatOf("go", "github.com/BurntSushi/tom1", popular)?.target).toBe("github.com/BurntSushi/toml");
  });
});

describe("typosquatOf: near misses stay quiet", () => {
  it("a long name unlike any popular one", () => {
    expect(typosquatOf("npm", "my-company-internal-deployment-tooling", popular)).toBeUndefined();
    expect(typosquatOf("pypi", "acme-billing-reconciliation", popular)).toBeUndefined();
    expect(typosquatOf("go", "github.com/acme/widget", popular)).toBeUndefined();
  });

  it("left-pad: popular itself, and no popular name is within reach of it", () => {
    expect(popular.npm.has("left-pad")).toBe(true);
    expect(typosquatOf("npm", "left-pad", popular)).toBeUndefined();
    const withoutIt = new Set([...popular.npm].filter((n) => n !== "left-pad"));
    expect(typosquatOf("npm", "left-pad", withoutIt)).toBeUndefined();
  });

  it("edit distance says nothing below four characters, and allows one edit below five", () => {
    expect(popular.npm.has("qs")).toBe(true);
    expect(typosquatOf("npm", "qz", popular)).toBeUndefined();
    expect(popular.npm.has("once")).toBe(true);
    expect(typosquatOf("npm", "onze", popular)).toEqual({ target: "once", kind: "replaced-letter", distance: 1 });
    expect(typosquatOf("npm", "onzz", popular)).toBeUndefined(); // two edits from "once"
    expect(typosquatOf("npm", "expxess", popular)).toMatchObject({ target: "express" });
    expect(typosquatOf("npm", "exprxxs", popular)).toMatchObject({ target: "express", kind: "two-edits", distance: 2 });
    expect(typosquatOf("npm", "exxrxxs", popular)).toBeUndefined(); // three edits
  });

  it("a package under an unrelated scope is not a swapped scope", () => {
    expect(typosquatOf("npm", "@acme/core", popular)).toBeUndefined();
    expect(typosquatOf("npm", "@acme/lodash", popular)).toBeUndefined();
  });

  it("an unscoped name equal to a popular scoped package's bare name is its own package", () => {
    expect(typosquatOf("npm", "node", popular)).toBeUndefined();
  });

  it("empty names are not judged", () => {
    expect(typosquatOf("npm", "  ", popular)).toBeUndefined();
  });
});

describe("typosquatOf: ranking, lists and speed", () => {
  it("prefers the more downloaded of two equally near names (list order)", () => {
    expect(typosquatOf("npm", "abcdx", new Set(["abcde", "abcdy"]))?.target).toBe("abcde");
    expect(typosquatOf("npm", "abcdx", new Set(["abcdy", "abcde"]))?.target).toBe("abcdy");
    // Names of different lengths sit in different buckets: rank, not bucket order, decides.
    expect(typosquatOf("npm", "abcdx", new Set(["abcdxy", "abcd"]))?.target).toBe("abcdxy");
    expect(typosquatOf("npm", "abcdx", new Set(["abcd", "abcdxy"]))?.target).toBe("abcd");
  });

  it("prefers the nearer name over the more downloaded one", () => {
    expect(typosquatOf("npm", "abcdefx", new Set(["abcdezz", "abcdefg"]))).toEqual({ target: "abcdefg", kind: "replaced-letter", distance: 1 });
  });

  it("accepts one ecosystem's set as well as all four lists", () => {
    expect(typosquatOf("pypi", "reqeusts", popular)?.target).toBe("requests");
    expect(typosquatOf("pypi", "reqeusts", popular.pypi)?.target).toBe("requests");
    expect(typosquatOf("pypi", "reqeusts", new Set(["flask", "numpy"]))).toBeUndefined();
    // The record's list for the ecosystem asked about is used, not another one.
    expect(typosquatOf("crates", "reqeusts", popular)).toBeUndefined();
  });

  it("misses no single edit of a popular name, wherever the edit falls", () => {
    // Deterministic: every edit kind at the first, second, middle and last letter, so an index
    // that skipped a bucket would show up here.
    const missed: string[] = [];
    let tried = 0;
    for (const eco of ["npm", "pypi", "crates"] as const) {
      const forms = new Set([...popular[eco]].map((n) => normalize(eco, n)));
      for (const name of popular[eco]) {
        const key = normalize(eco, name);
        if (key.startsWith("@") || key.length < 5) continue;
        for (const at of new Set([0, 1, key.length >> 1, key.length - 1])) {
          const c = key[at] === "q" ? "z" : "q";
          const edits = [
            key.slice(0, at) + key.slice(at + 1), // dropped
            key.slice(0, at) + c + key.slice(at), // inserted
            key.slice(0, at) + c + key.slice(at + 1), // replaced
            key.slice(0, at) + (key[at + 1] ?? "") + key[at]! + key.slice(at + 2), // swapped
          ];
          for (const e of edits) {
            if (forms.has(normalize(eco, e))) continue; // landed on a popular name (or on itself)
            tried++;
            if (typosquatOf(eco, e, popular) === undefined) missed.push(`${eco}:${e}`);
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(10_000);
    expect(missed).toEqual([]);
  });
});

describe("parseInstall: npm, pnpm, yarn, bun", () => {
  it("npm install strips versions, keeps scopes and skips flags", () => {
    expect(parseInstall(split("npm install lodash@4 @scope/x@1 -D --save-exact"))).toEqual({ eco: "npm", tool: "npm", packages: ["lodash", "@scope/x"], sources: [] });
    expect(parseInstall(split("/usr/local/bin/npm i express"))).toMatchObject({ tool: "npm", packages: ["express"] });
    expect(parseInstall(split("npm add react"))?.packages).toEqual(["react"]);
  });

  it("an option's value is not a package", () => {
    expect(parseInstall(split("npm install --prefix ./dir express --tag next"))?.packages).toEqual(["express"]);
    expect(parseInstall(split("pnpm add --filter web react"))?.packages).toEqual(["react"]);
    expect(parseInstall(split("pnpm add -w lodash"))?.packages).toEqual(["lodash"]); // -w is a flag in pnpm
  });

  it("npm ci and bare installs fetch no named package", () => {
    expect(parseInstall(split("npm ci"))).toEqual({ eco: "npm", tool: "npm", packages: [], sources: [] });
    expect(parseInstall(split("npm install"))).toEqual({ eco: "npm", tool: "npm", packages: [], sources: [] });
    expect(parseInstall(["yarn"])).toEqual({ eco: "npm", tool: "yarn", packages: [], sources: [] });
    expect(parseInstall(split("pnpm install"))).toEqual({ eco: "npm", tool: "pnpm", packages: [], sources: [] });
  });

  it("a registry given on the command line is a source, before or after the subcommand", () => {
    expect(parseInstall(split("npm i --registry https://r.example.test/ foo"))).toEqual({ eco: "npm", tool: "npm", packages: ["foo"], sources: [{ kind: "registry", value: "https://r.example.test/" }] });
    expect(parseInstall(split("npm --registry=https://r.example.test/ install foo"))?.sources).toEqual([{ kind: "registry", value: "https://r.example.test/" }]);
    expect(parseInstall(split("npm ci --registry https://r.example.test/"))?.sources).toEqual([{ kind: "registry", value: "https://r.example.test/" }]);
    expect(parseInstall(split("npm install --@acme:registry=https://acme.test/ @acme/x"))).toMatchObject({ packages: ["@acme/x"], sources: [{ kind: "registry", value: "https://acme.test/" }] });
    expect(parseInstall(split("yarn add --registry https://r.test/ x"))).toMatchObject({ tool: "yarn", packages: ["x"], sources: [{ kind: "registry", value: "https://r.test/" }] });
  });

  it("URLs, git repositories, local paths and tarballs are sources, not packages", () => {
    const r = parseInstall(split("npm add https://x.test/y.tgz git+https://github.com/a/b.git github:user/repo user/repo ./local ../pkg.tgz file:../x foo@https://x.test/f.tgz bar@github:u/r baz@file:../baz git@github.com:u/r"));
    expect(r?.packages).toEqual([]);
    expect(r?.sources).toEqual([
      { kind: "url", value: "https://x.test/y.tgz" },
      { kind: "git", value: "git+https://github.com/a/b.git" },
      { kind: "git", value: "github:user/repo" },
      { kind: "git", value: "user/repo" },
      { kind: "path", value: "./local" },
      { kind: "path", value: "../pkg.tgz" },
      { kind: "path", value: "file:../x" },
      { kind: "url", value: "foo@https://x.test/f.tgz" },
      { kind: "git", value: "bar@github:u/r" },
      { kind: "path", value: "baz@file:../baz" },
      { kind: "git", value: "git@github.com:u/r" },
    ]);
  });

  it("an npm alias installs the package it points at", () => {
    expect(parseInstall(split("npm install foo@npm:lodash@4 bar@npm:@scope/y"))?.packages).toEqual(["lodash", "@scope/y"]);
  });

  it("yarn, pnpm and bun add", () => {
    expect(parseInstall(split("yarn add react@18 react-dom"))).toEqual({ eco: "npm", tool: "yarn", packages: ["react", "react-dom"], sources: [] });
    expect(parseInstall(split("yarn add https://x.test/y.tgz"))).toMatchObject({ packages: [], sources: [{ kind: "url", value: "https://x.test/y.tgz" }] });
    expect(parseInstall(split("pnpm add -D typescript@5"))).toEqual({ eco: "npm", tool: "pnpm", packages: ["typescript"], sources: [] });
    expect(parseInstall(split("bun add zod"))).toEqual({ eco: "npm", tool: "bun", packages: ["zod"], sources: [] });
    expect(parseInstall(split("bun add -d @types/bun"))?.packages).toEqual(["@types/bun"]);
  });

  it("other subcommands are not installs", () => {
    expect(parseInstall(split("npm run build"))).toBeUndefined();
    expect(parseInstall(split("yarn build"))).toBeUndefined();
    expect(parseInstall(split("pnpm test"))).toBeUndefined();
    expect(parseInstall(split("bun run dev"))).toBeUndefined();
  });
});

describe("parseInstall: pip, python -m pip, uv", () => {
  it("strips versions, extras and markers; reads index options as registries; a requirements file is no package", () => {
    const r = parseInstall(["pip", "install", "requests==2.31", "numpy>=1", "uvicorn[standard]", "-r", "req.txt", "-i", "https://idx.test/simple", "--extra-index-url", "https://idx2.test/simple", "six; python_version>'3'", "-U"]);
    expect(r).toEqual({
      eco: "pypi",
      tool: "pip",
      packages: ["requests", "numpy", "uvicorn", "six"],
      sources: [
        { kind: "registry", value: "https://idx.test/simple" },
        { kind: "registry", value: "https://idx2.test/simple" },
      ],
    });
  });

  it("options with = or glued values", () => {
    expect(parseInstall(split("pip install --index-url=https://x.test/ foo"))).toMatchObject({ packages: ["foo"], sources: [{ kind: "registry", value: "https://x.test/" }] });
    expect(parseInstall(split("pip install -rreq.txt -ihttps://i.test/ bar"))).toMatchObject({ packages: ["bar"], sources: [{ kind: "registry", value: "https://i.test/" }] });
    expect(parseInstall(split("pip install -t /tmp/t x"))?.packages).toEqual(["x"]);
  });

  it("git, URLs, wheels, directories, editables and remote requirement files are sources", () => {
    expect(parseInstall(split("pip3 install --upgrade git+https://github.com/x/y.git ./local.whl https://x.test/y.tar.gz -e . dist/pkg-1.0.tar.gz -r https://evil.test/req.txt"))).toEqual({
      eco: "pypi",
      tool: "pip",
      packages: [],
      sources: [
        { kind: "path", value: "." },
        { kind: "url", value: "https://evil.test/req.txt" },
        { kind: "git", value: "git+https://github.com/x/y.git" },
        { kind: "path", value: "./local.whl" },
        { kind: "url", value: "https://x.test/y.tar.gz" },
        { kind: "path", value: "dist/pkg-1.0.tar.gz" },
      ],
    });
    expect(parseInstall(["pip", "install", "name @ https://x.test/n.whl"])?.sources).toEqual([{ kind: "url", value: "name @ https://x.test/n.whl" }]);
    expect(parseInstall(["pip", "install", "name@git+https://g.test/n.git"])?.sources).toEqual([{ kind: "git", value: "name@git+https://g.test/n.git" }]);
  });

  it("python -m pip and pip3.N are pip", () => {
    expect(parseInstall(split("python3 -m pip install flask"))).toEqual({ eco: "pypi", tool: "pip", packages: ["flask"], sources: [] });
    expect(parseInstall(split("/usr/bin/python3.12 -I -m pip install flask"))?.packages).toEqual(["flask"]);
    expect(parseInstall(split("python -mpip install -U rich"))?.packages).toEqual(["rich"]);
    expect(parseInstall(split("pip3.12 install Django"))?.packages).toEqual(["Django"]);
    expect(parseInstall(split("pip --disable-pip-version-check --proxy http://p.test:3128 install six"))?.packages).toEqual(["six"]);
  });

  it("uv pip install and uv add", () => {
    expect(parseInstall(split("uv pip install httpx"))).toEqual({ eco: "pypi", tool: "uv", packages: ["httpx"], sources: [] });
    expect(parseInstall(split("uv add httpx>=0.27 --dev --index https://idx.test/"))).toEqual({ eco: "pypi", tool: "uv", packages: ["httpx"], sources: [{ kind: "registry", value: "https://idx.test/" }] });
    expect(parseInstall(split("uv add git+https://github.com/a/b"))?.sources).toEqual([{ kind: "git", value: "git+https://github.com/a/b" }]);
    expect(parseInstall(split("uv add --editable ./lib rich"))).toMatchObject({ packages: ["rich"], sources: [{ kind: "path", value: "./lib" }] });
  });

  it("other commands are not installs", () => {
    expect(parseInstall(split("pip download x"))).toBeUndefined();
    expect(parseInstall(split("pip list"))).toBeUndefined();
    expect(parseInstall(split("python3 script.py install x"))).toBeUndefined();
    expect(parseInstall(split("python3 -m venv install"))).toBeUndefined();
    expect(parseInstall(split("uv sync"))).toBeUndefined();
    expect(parseInstall(split("uv pip list"))).toBeUndefined();
  });
});

describe("parseInstall: cargo and go", () => {
  it("cargo install and add strip versions and skip option values", () => {
    expect(parseInstall(split("cargo install ripgrep@13.0.0 --locked"))).toEqual({ eco: "crates", tool: "cargo", packages: ["ripgrep"], sources: [] });
    expect(parseInstall(split("cargo add serde -F derive serde_json@1 --rename sj"))?.packages).toEqual(["serde", "serde_json"]);
    expect(parseInstall(split("cargo +nightly install --version 1.2 cargo-edit"))?.packages).toEqual(["cargo-edit"]);
  });

  it("cargo --git, --path and --registry are sources; crates named with --git or --path do not come from crates.io", () => {
    expect(parseInstall(split("cargo install --git https://github.com/x/y tool"))).toEqual({ eco: "crates", tool: "cargo", packages: [], sources: [{ kind: "git", value: "https://github.com/x/y" }] });
    expect(parseInstall(split("cargo add --path ../local foo"))).toMatchObject({ packages: [], sources: [{ kind: "path", value: "../local" }] });
    expect(parseInstall(split("cargo install --registry corp widget"))).toMatchObject({ packages: ["widget"], sources: [{ kind: "registry", value: "corp" }] });
  });

  it("go get and go install strip @version; local patterns are paths; meta patterns are nothing", () => {
    expect(parseInstall(split("go get github.com/spf13/cobra@v1.8.0 -u ./..."))).toEqual({ eco: "go", tool: "go", packages: ["github.com/spf13/cobra"], sources: [{ kind: "path", value: "./..." }] });
    expect(parseInstall(split("go install golang.org/x/tools/cmd/goimports@latest"))?.packages).toEqual(["golang.org/x/tools/cmd/goimports"]);
    expect(parseInstall(split("go install -ldflags -s -tags=foo example.test/y"))?.packages).toEqual(["example.test/y"]);
    expect(parseInstall(split("go get -u all"))?.packages).toEqual([]);
  });

  it("other commands are not installs", () => {
    expect(parseInstall(split("cargo build"))).toBeUndefined();
    expect(parseInstall(split("go build ./..."))).toBeUndefined();
    expect(parseInstall(split("ls -la"))).toBeUndefined();
    expect(parseInstall([])).toBeUndefined();
  });
});

describe("parseInstall with typosquatOf", () => {
  it("finds the squat in a real install line", () => {
    const r = parseInstall(split("npm install --save lodahs express crossenv"))!;
    const judged = r.packages.map((p) => typosquatOf(r.eco, p, popular)?.target);
    expect(judged).toEqual(["lodash", undefined, "cross-env"]);
    const py = parseInstall(split("python3 -m pip install reqeusts==2.0 colourama[x]"))!;
    expect(py.packages.map((p) => typosquatOf(py.eco, p, popular)?.target)).toEqual(["requests", "colorama"]);
    const go = parseInstall(split("go get github.com/stretchr/testfy@v1.9.0"))!;
    expect(typosquatOf(go.eco, go.packages[0]!, popular)?.target).toBe("github.com/stretchr/testify");
  });
});
