/**
 * The teacher as a data source: a `TeacherSampler` (runtime/data/batches.ts) that decodes one BOS-led row of
 * the asked length with the given temperature / top-p, drawing every coin from the data pipeline's own Rng —
 * so a resumed run that restores that Rng samples the identical rows — and a `TeacherPool` that decodes a
 * block of rows in one batched decode (what training uses; the pipeline seeds each block's Rng).
 */
import type { TransformerLM } from '../models/transformer.ts';
import { sampleSequences } from './generate.ts';
import type { SamplingOptions } from './sampler.ts';

/** Structural stand-in for runtime/train/rng.ts's Rng (only `float()` is used). */
export interface UniformSource {
  float(): number;
}

export function teacherSampler(
  model: TransformerLM,
  settings: SamplingOptions,
  bos = 1,
): (rng: UniformSource, length: number) => Promise<Int32Array> {
  return async (rng, length) => {
    const [row] = await sampleSequences(model, { ...settings, batch: 1, length, startToken: bos, coin: () => rng.float() });
    return row;
  };
}

/** Rows per batched decode of a training pool: ×9–10 the tokens/s of one row per decode on wasm (bench/data/teacher-samples.ts). */
export const TEACHER_POOL_ROWS = 64;

/** A `TeacherPool` (runtime/data/batches.ts): `rows` BOS-led rows per call, every coin from the given Rng. */
export function teacherPool(
  model: TransformerLM,
  settings: SamplingOptions,
  bos = 1,
  rows = TEACHER_POOL_ROWS,
): { rows: number; sample: (rng: UniformSource, length: number, rows: number) => Promise<Int32Array[]> } {
  return {
    rows,
    sample: (rng, length, n) => sampleSequences(model, { ...settings, batch: n, length, startToken: bos, coin: () => rng.float() }),
  };
}
