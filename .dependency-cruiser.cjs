// The layer rules of docs/ARCHITECTURE.md, checked by `npm run lint:deps` (part of `npm test`).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", comment: "An import cycle makes layers meaningless.", from: {}, to: { circular: true } },
    { name: "events-at-the-bottom", severity: "error", comment: "events/ holds the contracts every stage builds on; it imports no other part of clawav.", from: { path: "^src/events/" }, to: { path: "^src/", pathNot: "^src/events/" } },
    { name: "pipeline-knows-only-contracts", severity: "error", comment: "The pipeline routes events through stages it knows only by their contracts.", from: { path: "^src/pipeline/" }, to: { path: "^src/", pathNot: ["^src/pipeline/", "^src/events/", "^src/errors/"] } },
    { name: "nothing-imports-the-cli", severity: "error", from: { path: "^src/", pathNot: "^src/cli/" }, to: { path: "^src/cli/" } },
    { name: "only-the-cli-imports-the-daemon", severity: "error", comment: "daemon/ is the composition root: no stage may import it.", from: { path: "^src/", pathNot: ["^src/cli/", "^src/daemon/"] }, to: { path: "^src/daemon/" } },
    { name: "through-the-index", severity: "error", comment: "A folder's index.ts is its public face; other folders import only that.", from: { path: "^src/([^/]+)/" }, to: { path: "^src/", pathNot: ["^src/$1/", "^src/[a-z-]+/index\\.ts$", "^src/[a-z-]+/[a-z-]+/index\\.ts$", "^src/[^/]+\\.ts$"] } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    exclude: { path: "^(dist|node_modules|test|bench)/" },
  },
};
