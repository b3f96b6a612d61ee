/**
 * Stage 3, end-to-end distillation (method.md §1.6): the whole student (teacher embeddings, norms, MLPs and
 * head copied at assembly) against the teacher's next-token distribution — soft-label cross-entropy of the
 * teacher's probabilities against log softmax(student logits / τ), mean over tokens; `kl` logs the same
 * objective minus the teacher's entropy; an optional hard-label weight mixes in plain next-token CE.
 */
import type { StageIR } from '../../compiler/ir/types.ts';
import type { MohawkStage, StageContext, TeacherBatch } from './context.ts';
import { distillationLoss } from './losses.ts';
import { stageTrainable } from './param-groups.ts';
import { expectKind, stagePlan } from './plan.ts';
import { TeacherBatchSource } from './teacher-batches.ts';

export function endToEnd(ctx: StageContext, stage: StageIR): MohawkStage {
  expectKind(stage, 'end_to_end');
  const { loss } = stage;
  if (loss.kind !== 'soft_ce' && loss.kind !== 'kl') throw new RangeError(`stage '${stage.name}': end_to_end takes soft_ce or kl, not ${loss.kind}`);
  const hard = (loss.hardLabelWeight ?? 0) > 0;
  const vocab = ctx.student.config.vocab;
  return {
    plan: stagePlan(stage, ctx.student),
    setup: () => ({
      trainable: stageTrainable(stage, ctx.student.params, (n) => ctx.student.layerOf(n), ctx.student.frozen),
      data: new TeacherBatchSource(ctx.tokens(stage), ctx.teacher, { layers: [], targetProbs: true, targets: hard }),
      loss: (b: TeacherBatch) =>
        distillationLoss(ctx.student.logits(b.ids).reshape([-1, vocab]), b.targetProbs!, b.targets, {
          kind: loss.kind as 'soft_ce' | 'kl',
          temperature: loss.temperature,
          hardLabelWeight: loss.hardLabelWeight,
        }),
    }),
  };
}
