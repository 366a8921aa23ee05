export { SequenceEngine, type SequenceFinding, type SequenceStatus } from "./engine.js";
export { StepSequences, type StepRule } from "./steps.js";
