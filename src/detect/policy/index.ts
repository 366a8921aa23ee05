export { compileGlob, GlobSyntaxError, type Glob } from "./glob.js";
export { compileMatch, compilePattern, compileRegex, addressSet, MATCH_KEYS, MatchSyntaxError, type MatchSpec, type MatchSubject, type Matcher, type DestinationSpec } from "./match.js";
export { loadPolicies, parsePolicyText, policyFiles, isClawsudoPolicyFile, formatPolicyError, PolicyLoadError, ENFORCEMENTS, type PolicyRule, type PolicyError, type Enforcement } from "./load.js";
