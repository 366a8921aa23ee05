export { SequenceEngine, type SequenceFinding, type SequenceStatus } from "./engine.js";
