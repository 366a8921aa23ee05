// Two ways a Sigma rule fails to load, kept apart because they mean different things to a user:
// a malformed rule is a mistake in the file (exit 1), a refused one uses something clawav does
// not evaluate (named, so nobody mistakes it for a rule that runs).

/** The rule is not valid Sigma: a missing key, a condition naming nothing, a bad value. */
export class SigmaSyntaxError extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
    this.name = "SigmaSyntaxError";
  }
}

/** Valid Sigma that clawav does not evaluate: `feature` names what (a modifier, a field, a log source). */
export class SigmaRefusal extends Error {
  constructor(readonly feature: string, readonly detail: string) {
    super(`${feature}: ${detail}`);
    this.name = "SigmaRefusal";
  }
}
