/**
 * `state.json` of a checkpoint: everything besides the tensors that a resumed run needs to continue exactly
 * where the checkpoint was taken (counters, schedule position, RNG states, data cursor), plus the sizes and
 * sha256 of the two tensor files so a damaged checkpoint is refused rather than silently loaded.
 */
import type { RngState } from '../train/rng.ts';
import { FileFormatError } from '../io/types.ts';

export const CHECKPOINT_FORMAT = 'mohawk-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface FileDigest {
  bytes: number;
  sha256: string;
}

export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  /** Hash of the training configuration the run was started with; a resume under another config is refused. */
  configHash: string;
  stage: string;
  /** Position of the stage in the run's stage list. */
  stageIndex: number;
  /** True for the checkpoint written when the stage finished (a resume then starts the next stage). */
  stageComplete: boolean;
  /** Names of the stages finished so far, this one included when stageComplete. */
  completedStages: string[];
  /** Optimizer steps done in this stage = the schedule position of the next step. */
  step: number;
  /** Steps the stage has in all (the schedule's length). */
  totalSteps: number;
  /** Tokens consumed in this stage and in the whole run. */
  tokens: number;
  runTokens: number;
  /** AdamW's update counter (bias correction). */
  optimizerStep: number;
  /** The lr of the last update, for information. */
  lr: number;
  /** Named generators the caller registered (data order, sampling, noise). */
  rng: Record<string, RngState>;
  /** The stage's data source cursor, as the source serialised it. */
  data: unknown;
  /** Seconds spent training up to this checkpoint, summed over resumes. */
  wallTime: number;
  /** Length of metrics.jsonl when the checkpoint was taken: a resume truncates the log back to it. */
  metricsBytes: number;
  /** Wall-clock time of writing (ISO 8601); informational. */
  createdAt: string;
  files: { weights: FileDigest; optimizer: FileDigest };
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function parseCheckpointState(file: string, text: string): CheckpointState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(file, `is not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(raw)) throw new FileFormatError(file, 'must hold a JSON object');
  if (raw.format !== CHECKPOINT_FORMAT) throw new FileFormatError(file, `is not a mohawk checkpoint state (format ${JSON.stringify(raw.format)})`);
  if (raw.version !== CHECKPOINT_VERSION) {
    throw new FileFormatError(file, `has checkpoint version ${JSON.stringify(raw.version)}; this mohawkc reads version ${CHECKPOINT_VERSION}`);
  }
  const need = (key: string, ok: (v: unknown) => boolean, what: string) => {
    if (!ok(raw[key])) throw new FileFormatError(file, `field '${key}' must be ${what}, got ${JSON.stringify(raw[key])}`);
  };
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  need('configHash', (v) => typeof v === 'string', 'a string');
  need('stage', (v) => typeof v === 'string' && v.length > 0, 'a stage name');
  for (const k of ['stageIndex', 'step', 'totalSteps', 'tokens', 'runTokens', 'optimizerStep', 'metricsBytes']) need(k, count, 'a non-negative integer');
  need('stageComplete', (v) => typeof v === 'boolean', 'true or false');
  need('completedStages', (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'a list of stage names');
  need('lr', finite, 'a number');
  need('wallTime', finite, 'a number');
  need('rng', isObj, 'an object of generator states');
  need('createdAt', (v) => typeof v === 'string', 'a timestamp');
  const digest = (v: unknown) => isObj(v) && count(v.bytes) && typeof v.sha256 === 'string' && /^[0-9a-f]{64}$/.test(v.sha256);
  need('files', (v) => isObj(v) && digest(v.weights) && digest(v.optimizer), '{weights, optimizer} with bytes and sha256');
  if (!('data' in raw)) throw new FileFormatError(file, "field 'data' (the data cursor) is missing");
  const s = raw as unknown as CheckpointState;
  if (s.step > s.totalSteps) throw new FileFormatError(file, `step ${s.step} is past the stage's ${s.totalSteps} steps`);
  return s;
}
