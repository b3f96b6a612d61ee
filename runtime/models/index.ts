/**
 * Teacher models: build a TransformerLM from a Checkpoint (runtime/io/types.ts) of any supported family.
 *
 *   const model = buildTeacher(loadLlama2c('stories260K.bin'));
 *   const { logits, layers } = model.forward(ids, { capture: { probs: true, layers: [0] } });
 */
import type { Checkpoint } from '../io/types.ts';
import { FileFormatError } from '../io/types.ts';
import { gpt2Source } from './families/gpt2.ts';
import { llamaSource } from './families/llama.ts';
import { phiSource } from './families/phi.ts';
import { TransformerLM, type ModelOptions } from './transformer.ts';
import { buildWeights, type FamilySource, type WeightOptions } from './weights.ts';

export { TransformerLM, transformerBlock, mlp } from './transformer.ts';
export type { CaptureOptions, ForwardOptions, ForwardResult, KvCache, LayerCapture } from './transformer.ts';

export interface TeacherOptions extends WeightOptions, ModelOptions {}

export function familySource(ckpt: Checkpoint): FamilySource {
  const cfg = ckpt.config;
  const names = new Set(ckpt.tensors.keys());
  switch (cfg.family) {
    case 'llama':
      return llamaSource(cfg, names);
    case 'phi':
      return phiSource(cfg, names);
    case 'gpt2':
      return gpt2Source(cfg, names);
    default:
      throw new FileFormatError(ckpt.path, `unsupported model family '${String(cfg.family)}'`);
  }
}

/** Uploads the checkpoint's weights (constants, or tf.Variables with `trainable`) and returns the model. */
export function buildTeacher(ckpt: Checkpoint, opts: TeacherOptions = {}): TransformerLM {
  const cfg = ckpt.config;
  if (cfg.heads % cfg.kvHeads !== 0)
    throw new FileFormatError(ckpt.path, `heads ${cfg.heads} is not a multiple of kv heads ${cfg.kvHeads}`);
  if (cfg.positions === 'rope' && (cfg.rotaryDim ?? cfg.headDim) % 2 !== 0)
    throw new FileFormatError(ckpt.path, `rotary dimension ${cfg.rotaryDim} is odd`);
  const built = buildWeights(ckpt, familySource(ckpt), opts);
  return new TransformerLM(cfg, built, opts.trainable ?? false, opts);
}
