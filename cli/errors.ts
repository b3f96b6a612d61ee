/**
 * Exit codes and the two error kinds the CLI turns into messages (never stack traces):
 *   0 ok · 1 errors in the user's spec or a failed check · 2 usage, I/O, or a bad input file ·
 *   3 training diverged (NaN/inf; the last good checkpoint is kept — runtime/run/errors.ts).
 */
export const EXIT_OK = 0;
export const EXIT_SPEC = 1;
export const EXIT_USAGE = 2;
export const EXIT_DIVERGED = 3;

/** Wrong flags or arguments. */
export class UsageError extends Error {
  constructor(message: string, readonly help?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A file or environment problem the user can fix: names the file and what is wrong. Exit 2. */
export class UserFacingError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_USAGE) {
    super(message);
    this.name = 'UserFacingError';
  }
}
