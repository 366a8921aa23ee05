export { NeedleSet } from "./needles.js";
export { maxMatchLength } from "./bound.js";
export { DB_NAMES, MAX_REGEX_LENGTH, PatternError, loadPatternDb, parsePatternDb, type CompiledEntry, type DbName, type PatternDb, type PatternEntry } from "./load.js";
export { PatternSet, type PatternHit } from "./match.js";
export { signFile, verifyFile, type SignatureState } from "./sign.js";
export { loadSecureClaw, type VendorResult } from "./secureclaw.js";
export { loadPatternDir, PATTERNS_DIR, PUBLIC_KEY_FILE, SKILL_DATABASES, type DirResult } from "./dir.js";
export { ibanValid, luhn, ssnValid, VALIDATE, VALIDATORS, type ValidatorName } from "./validate.js";
