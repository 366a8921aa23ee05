// Signed policy bundles: one JSON file of policy, Sigma and pattern files under an Ed25519
// signature, made by `clawav policy bundle`, kept in the state folder, fetched by RemotePolicy.
export { BUNDLE_FORMAT, MAX_BUNDLE_BYTES, MAX_BUNDLE_FILES, BundleError, parseBundle, compareVersions, isVersion, pathProblem, canonicalBytes, signBundle, bundleText, sha256Hex, ed25519PublicKey, ed25519PrivateKey, type Bundle, type BundleFile, type BundleErrorReason, type ParseResult, type UnsignedBundle } from "./format.js";
export { makeBundle, countsOf, type BundleCounts } from "./make.js";
export { applyBundle, writeBundleDir, commitBundle, discardBundleDir, loadCurrent, bundleRoot, versionDir, CURRENT_FILE } from "./store.js";
export { RemotePolicy, type RemotePolicyOptions, type RemotePolicyStatus } from "./remote.js";
