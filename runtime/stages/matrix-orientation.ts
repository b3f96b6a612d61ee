/**
 * Stage 1, matrix orientation (method.md §1.6): for every SSM layer ℓ of the stage, the student's mixing
 * matrix on the teacher's input h_ℓ (through the block's input norm, copied from the teacher) against the
 * teacher's softmax attention of that layer; Frobenius distance per (batch, head), mean, summed over layers.
 *
 * Trainable: what the spec leaves unfrozen in those layers (default: the mixers). Only in_proj's B/C/a rows,
 * the B/C conv channels and D reach the matrix; out_proj and z_bias get no gradient and AdamW leaves them as
 * they are, while the zero-gradient x/z rows of in_proj still decay — exactly what the reference's AdamW over
 * all mixer parameters does.
 *
 * The layer terms share no parameters, so the gradient of the sum equals the per-layer gradients side by
 * side (test/runtime/stages/stages.test.ts); `lossParts` hands the loop the terms one by one, each
 * differentiated on its own tape, so one layer's T×T matrices (teacher's and student's) exist at a time.
 */
import type { StageIR } from '../../compiler/ir/types.ts';
import { tf } from '../tensor/backend.ts';
import type { MohawkStage, StageContext, TeacherBatch } from './context.ts';
import { frobeniusLoss } from './losses.ts';
import { stageTrainable } from './param-groups.ts';
import { expectKind, stagePlan } from './plan.ts';
import { teacherAttentionProbs } from './teacher-attention.ts';
import { TeacherBatchSource } from './teacher-batches.ts';

export function orientationLayers(ctx: Pick<StageContext, 'student'>, stage: StageIR): number[] {
  return stage.layers.filter((l) => ctx.student.layers[l]?.kind === 'ssm');
}

/**
 * One term per SSM layer: ‖M_ℓ − A_ℓ‖_F mean over (batch, head). The teacher's attention A_ℓ is taken from
 * the batch when the teacher pass captured it, else recomputed from the layer's input inside the term, so
 * that only this layer's T×T matrices exist while the term is differentiated.
 */
export function orientationTerms(ctx: Pick<StageContext, 'student' | 'teacher'>, layers: readonly number[], b: TeacherBatch): (() => tf.Scalar)[] {
  return layers.map((l) => () => {
    const input = b.inputs[l];
    if (!input) throw new Error(`matrix orientation: the teacher batch lacks layer ${l}`);
    const probs = b.probs[l] ?? teacherAttentionProbs(ctx.teacher, l, input);
    return frobeniusLoss(ctx.student.mixingMatrix(l, input), probs);
  });
}

export function matrixOrientation(ctx: StageContext, stage: StageIR): MohawkStage {
  expectKind(stage, 'matrix_orientation');
  const layers = orientationLayers(ctx, stage);
  if (!layers.length) throw new RangeError(`stage '${stage.name}': none of layers [${stage.layers}] is an SSM layer`);
  return {
    plan: stagePlan(stage, ctx.student),
    setup: () => {
      const parts = (b: TeacherBatch) => orientationTerms(ctx, layers, b);
      return {
        trainable: stageTrainable(stage, ctx.student.params, (n) => ctx.student.layerOf(n), ctx.student.frozen),
        data: new TeacherBatchSource(ctx.tokens(stage), ctx.teacher, { layers, inputs: true }),
        loss: (b: TeacherBatch) => sumTerms(parts(b)),
        lossParts: parts,
      };
    },
  };
}

export function sumTerms(terms: (() => tf.Scalar)[]): tf.Scalar {
  let total = terms[0]();
  for (const t of terms.slice(1)) total = total.add(t());
  return total;
}
