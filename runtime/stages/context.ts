/**
 * What every stage receives from the program driver. Filled by runtime/program/run-program.ts; the stage
 * implementations (matrix-orientation.ts, hidden-state-alignment.ts, end-to-end.ts) read it.
 */
export interface StageContext {
  /** Run directory (checkpoints, metrics). */
  runDir: string;
  /** Everything else the driver wires (teacher, student, data, run state) lives behind this handle. */
  env: unknown;
}

export interface StageResult {
  stage: string;
  steps: number;
  tokens: number;
  finalLoss: number;
  seconds: number;
}
