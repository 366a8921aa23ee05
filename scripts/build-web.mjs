// Builds the web dashboard's assets into dist/web: each file named by its content's hash (so the
// daemon serves it cached for good and a new build is a new name), and a manifest of the names.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const src = join(root, "web");
const out = join(root, "dist", "web");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const manifest = {};
for (const name of readdirSync(src).sort()) {
  if (!/\.(js|css)$/.test(name)) continue;
  const body = readFileSync(join(src, name));
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  const hashed = name.replace(/\.(js|css)$/, `.${hash}.$1`);
  writeFileSync(join(out, hashed), body, { mode: 0o644 });
  manifest[name] = hashed;
}
writeFileSync(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 1)}\n`, { mode: 0o644 });
console.log(`build:web: ${Object.keys(manifest).length} assets in dist/web`);
