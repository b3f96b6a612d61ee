/**
 * Errors of the run machinery. Both carry a message the CLI prints as is (no stack trace).
 * - RunDirError: the run directory cannot be used as asked (different config, not resumable, bad layout).
 *   Exit 2 like other bad-input problems.
 * - TrainingDivergedError: the loss or a gradient became non-finite. Exit code 3 (EXIT_DIVERGED), so scripts
 *   can tell a diverged run from bad input (2) and spec errors (1); `report` is the structured detail (`--json`).
 */
export const EXIT_DIVERGED = 3;

export class RunDirError extends Error {
  constructor(readonly dir: string, problem: string) {
    super(`${dir}: ${problem}`);
    this.name = 'RunDirError';
  }
}

export interface DivergenceReport {
  stage: string;
  /** The 1-based step whose update was refused (nothing of it was applied). */
  step: number;
  /** Tokens of this stage consumed before that step. */
  tokens: number;
  what: 'loss' | 'gradient';
  /** First parameter, in model order, whose gradient norm is non-finite (what = 'gradient'). */
  parameter?: string;
  /** Layer index parsed from that parameter's name ('layers.<i>.'), when there is one. */
  layer?: number;
  /** 'NaN', 'Infinity' or '-Infinity'. */
  value: string;
  /** Last good checkpoint (directory relative to the run), or null if none was written yet. */
  lastCheckpoint: string | null;
}

export class TrainingDivergedError extends Error {
  readonly exitCode = EXIT_DIVERGED;
  constructor(readonly report: DivergenceReport) {
    const where =
      report.what === 'loss'
        ? 'the loss'
        : `the gradient of '${report.parameter}'${report.layer !== undefined ? ` (layer ${report.layer})` : ''}`;
    const resume = report.lastCheckpoint
      ? `the last good checkpoint is ${report.lastCheckpoint}; lower the learning rate or clip harder and resume`
      : 'no checkpoint was written before it';
    super(`training diverged in stage '${report.stage}' at step ${report.step}: ${where} is ${report.value}; ${resume}`);
    this.name = 'TrainingDivergedError';
  }
}
