/**
 * A StageIR as the loop driver's StagePlan, with the spec's parameter groups (no_decay) turned into the
 * student's parameter names.
 */
import type { StageIR } from '../../compiler/ir/types.ts';
import { planFromStage, type StagePlan } from '../run/loop.ts';
import type { StudentModel } from './context.ts';
import { noDecayNames } from './param-groups.ts';

export function stagePlan(stage: StageIR, student: StudentModel): StagePlan {
  const plan = planFromStage(stage);
  return { ...plan, optimizer: { ...plan.optimizer, noDecay: noDecayNames(student.params.keys(), stage.optimizer.noDecay) } };
}

export function expectKind(stage: StageIR, kind: StageIR['kind']): void {
  if (stage.kind !== kind) throw new RangeError(`stage '${stage.name}' is ${stage.kind}, not ${kind}`);
}
