export { compileSigmaText, SIGMA_LEVELS, type SigmaRule, type SigmaFileResult } from "./rule.js";
export { loadSigma, sigmaFiles, MAX_SIGMA_BYTES, type SigmaLoad } from "./load.js";
export { SigmaInput, LOG_SOURCES, AUDITD_FIELDS, type LogSource, type AuditView } from "./fields.js";
export { SigmaRefusal, SigmaSyntaxError } from "./errors.js";
export { compileValues, parseModifiers, pieces, base64Offsets, windashVariants, MODIFIERS, type FieldValue, type SigmaScalar } from "./value.js";
export { compileCondition } from "./condition.js";
export { SigmaSet } from "./set.js";
export { NeedleSet } from "../../patterns/index.js";
