/**
 * Stage 2, hidden-state alignment (method.md §1.6): every layer ℓ of the stage gets the teacher's input h_ℓ
 * (not its own previous output) and its output is compared with the teacher's — the block output h_{ℓ+1}
 * (target = block, the default and the reference's choice) or, with target = mixer, the mixer output against
 * the attention output. L2 over the hidden dimension, not squared, mean over tokens, summed over layers.
 * Kept attention layers take part like any other block (their copy of the teacher starts at distance 0).
 */
import type { StageIR } from '../../compiler/ir/types.ts';
import type { tf } from '../tensor/backend.ts';
import type { MohawkStage, StageContext, TeacherBatch } from './context.ts';
import { alignmentLoss } from './losses.ts';
import { sumTerms } from './matrix-orientation.ts';
import { stageTrainable } from './param-groups.ts';
import { expectKind, stagePlan } from './plan.ts';
import { TeacherBatchSource } from './teacher-batches.ts';

export function alignmentTerms(ctx: Pick<StageContext, 'student'>, stage: StageIR, b: TeacherBatch): (() => tf.Scalar)[] {
  const mixer = stage.loss.target === 'mixer';
  return stage.layers.map((l) => () => {
    const input = b.inputs[l];
    const target = mixer ? b.attnOut[l] : b.outputs[l];
    if (!input || !target) throw new Error(`hidden-state alignment: the teacher batch lacks layer ${l}`);
    const out = mixer ? ctx.student.mixerOutput(l, input) : ctx.student.block(l, input);
    return alignmentLoss(out, target);
  });
}

export function hiddenStateAlignment(ctx: StageContext, stage: StageIR): MohawkStage {
  expectKind(stage, 'hidden_state_alignment');
  if (!stage.layers.length) throw new RangeError(`stage '${stage.name}' aligns no layer`);
  const mixer = stage.loss.target === 'mixer';
  return {
    plan: stagePlan(stage, ctx.student),
    setup: () => {
      const parts = (b: TeacherBatch) => alignmentTerms(ctx, stage, b);
      return {
        trainable: stageTrainable(stage, ctx.student.params, (n) => ctx.student.layerOf(n), ctx.student.frozen),
        data: new TeacherBatchSource(ctx.tokens(stage), ctx.teacher, { layers: stage.layers, inputs: true, outputs: !mixer, attnOut: mixer }),
        loss: (b: TeacherBatch) => sumTerms(parts(b)),
        lossParts: parts,
      };
    },
  };
}
