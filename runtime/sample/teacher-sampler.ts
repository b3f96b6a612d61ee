/**
 * The teacher as a data source: a `TeacherSampler` (runtime/data/batches.ts) that decodes one BOS-led row of
 * the asked length with the given temperature / top-p, drawing every coin from the data pipeline's own Rng —
 * so a resumed run that restores that Rng samples the identical rows.
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
