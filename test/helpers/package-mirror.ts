// A package mirror on a loopback address of its own, standing in for a company's npm and PyPI
// mirror, so benign workflows install real popular packages without leaving the machine:
// - npm: packuments and tarballs packed (`npm pack`) from this checkout's own node_modules;
// - PyPI: a PEP 503 "simple" index over the wheels Debian ships (python3-pip-whl,
//   python3-setuptools-whl, python3-wheel-whl in /usr/share/python-wheels).
// It listens on its own address (not 127.0.0.1) so that a daemon can allow the mirror by CIDR
// while attacks against 127.0.0.1 stay judged as connections to a host that is not allowed.
import { createServer, type Server } from "node:http";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MIRROR_ADDRESS = "127.0.0.77";
const WHEELS = "/usr/share/python-wheels";

interface NpmPackage {
  name: string;
  version: string;
  file: string;
  integrity: string;
  shasum: string;
}

export class PackageMirror {
  private server: Server | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "clawav-mirror-"));
  private npm: NpmPackage[] = [];
  private wheels: string[] = [];
  port = 0;

  /** Packs the named packages from node_modules (they must have no dependencies) and indexes the wheels. */
  constructor(private readonly root: string, private readonly npmNames: readonly string[]) {}

  get npmRegistry(): string {
    return `http://${MIRROR_ADDRESS}:${this.port}/npm/`;
  }

  get pypiIndex(): string {
    return `http://${MIRROR_ADDRESS}:${this.port}/simple/`;
  }

  /** Names of the wheels' projects, as pip would ask for them (pip, setuptools, wheel). */
  get pypiProjects(): string[] {
    return [...new Set(this.wheels.map((w) => w.split("-")[0]!.toLowerCase().replace(/_/g, "-")))];
  }

  async start(): Promise<void> {
    chmodSync(this.dir, 0o755);
    const dirs = this.npmNames.map((n) => join(this.root, "node_modules", n));
    const r = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", this.dir, ...dirs], { encoding: "utf8", cwd: this.dir });
    if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
    this.npm = (JSON.parse(r.stdout) as { name: string; version: string; filename: string; integrity: string; shasum: string }[]).map((p) => ({ name: p.name, version: p.version, file: p.filename, integrity: p.integrity, shasum: p.shasum }));
    this.wheels = existsSync(WHEELS) ? readdirSync(WHEELS).filter((f) => f.endsWith(".whl")) : [];
    this.server = createServer((req, res) => {
      const url = decodeURIComponent((req.url ?? "/").split("?")[0]!);
      const send = (status: number, type: string, body: string | Buffer) => {
        res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
        res.end(body);
      };
      const npmName = url.startsWith("/npm/") ? url.slice(5) : undefined;
      const tgz = npmName !== undefined ? /^-\/(.+\.tgz)$/.exec(npmName) : null;
      if (tgz) {
        const p = this.npm.find((x) => x.file === tgz[1]);
        return p ? send(200, "application/octet-stream", readFileSync(join(this.dir, p.file))) : send(404, "text/plain", "not found\n");
      }
      if (npmName !== undefined) {
        const p = this.npm.find((x) => x.name === npmName);
        if (!p) return send(404, "application/json", JSON.stringify({ error: "not_found" }));
        const doc = {
          name: p.name,
          "dist-tags": { latest: p.version },
          versions: { [p.version]: { name: p.name, version: p.version, dist: { tarball: `${this.npmRegistry}-/${p.file}`, shasum: p.shasum, integrity: p.integrity } } },
        };
        return send(200, "application/json", JSON.stringify(doc));
      }
      const simple = /^\/simple\/([^/]*)\/?$/.exec(url);
      if (simple) {
        const project = simple[1]!.toLowerCase().replace(/[._]/g, "-");
        if (project === "") return send(200, "text/html", `<!DOCTYPE html><html><body>${this.pypiProjects.map((n) => `<a href="/simple/${n}/">${n}</a>`).join("\n")}</body></html>\n`);
        const files = this.wheels.filter((w) => w.split("-")[0]!.toLowerCase().replace(/_/g, "-") === project);
        if (files.length === 0) return send(404, "text/plain", "not found\n");
        const links = files.map((w) => `<a href="/files/${w}#sha256=${createHash("sha256").update(readFileSync(join(WHEELS, w))).digest("hex")}">${w}</a>`);
        return send(200, "text/html", `<!DOCTYPE html><html><body>\n${links.join("\n")}\n</body></html>\n`);
      }
      const file = /^\/files\/([^/]+\.whl)$/.exec(url);
      if (file && this.wheels.includes(file[1]!)) return send(200, "application/octet-stream", readFileSync(join(WHEELS, file[1]!)));
      return send(404, "text/plain", "not found\n");
    });
    await new Promise<void>((r) => this.server!.listen(0, MIRROR_ADDRESS, r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
