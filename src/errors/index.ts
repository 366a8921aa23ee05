/**
 * Every exit code of clawav and clawsudo, in one table (the numbers of sysexits.h), shown by
 * `--help` and in the README.
 */
export const EXIT = {
  OK: 0,
  /** The command ran and the answer is no: a check found problems, a request was refused. */
  FINDINGS: 1,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  CANTCREAT: 73,
  TEMPFAIL: 75,
  NOPERM: 77,
  /** clawsudo: no decision on the request came in time. */
  APPROVAL_TIMEOUT: 78,
} as const;

export const EXIT_TABLE: readonly (readonly [code: number, meaning: string])[] = [
  [EXIT.OK, "done; a check found nothing wrong"],
  [EXIT.FINDINGS, "a check found problems (verify-audit, policy lint/test, sigma check, preload check, seccomp verify/diff), or a request was refused"],
  [EXIT.USAGE, "bad command line: unknown command or option, missing argument"],
  [EXIT.DATAERR, "a file you gave is wrong: config, policy, whitelist, events (file:line: key: what)"],
  [EXIT.NOINPUT, "a file you named cannot be read"],
  [EXIT.UNAVAILABLE, "something needed is not there: the daemon's API, auditd, a tool"],
  [EXIT.SOFTWARE, "internal error: a bug in clawav (please report it with the message)"],
  [EXIT.CANTCREAT, "cannot create or write an output or state file"],
  [EXIT.TEMPFAIL, "another clawav holds the state folder; stop it or pick another --state-dir"],
  [EXIT.NOPERM, "not permitted: needs root, or clawsudo denied the command"],
  [EXIT.APPROVAL_TIMEOUT, "clawsudo: no approval came in time"],
];

/**
 * A mistake of the user's (bad file, bad flag, missing permission): printed as one clear line,
 * never as a stack trace, and the process exits non-zero with `exitCode` (from EXIT).
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.DATAERR) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}

/** A position in a user's file, for messages of the form `file:line:column: message`. */
interface SourcePosition {
  file: string;
  line?: number;
  column?: number;
}

export function formatPosition(p: SourcePosition): string {
  if (p.line === undefined) return p.file;
  return p.column === undefined ? `${p.file}:${p.line}` : `${p.file}:${p.line}:${p.column}`;
}

export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
