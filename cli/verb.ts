/** The shape every `mohawkc` verb module exports as `verb`. */
export interface Verb {
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code. Throw UsageError / UserFacingError (or any error carrying `userMessage`) for clean failures. */
  run(argv: string[]): Promise<number>;
}
