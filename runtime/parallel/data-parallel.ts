/**
 * Turns a program's stage definitions into data-parallel ones: the main thread keeps everything the loop
 * driver does (data cursor, norms, NaN guard, clip, AdamW, metrics, checkpoints, resume) and hands each step's
 * micro-batches to the worker pool (pool.ts) through StageSetup.accumulate.
 *
 * Why data-parallel for every stage, also the per-layer stages 1 and 2: the stories260K student has 5 layers,
 * and 5 layers on 2 workers cannot beat 5/3 ≈ 1.67× (one worker gets 3), while every worker would also repeat
 * the teacher pass; splitting the step's micro-batches (8 → 4 + 4) balances exactly and runs each teacher pass
 * once. The per-layer independence is still used inside a worker (stage 1 differentiates one layer at a time).
 */
import type { StageIR } from '../../compiler/ir/types.ts';
import type { Batch } from '../data/batches.ts';
import type { DataSource, StageDef, StageSetup } from '../run/loop.ts';
import type { MohawkStage } from '../stages/context.ts';
import type { WorkerPool } from './pool.ts';

export function parallelStage(def: MohawkStage, stage: StageIR, pool: WorkerPool, tokens: (stage: StageIR) => DataSource<Batch>): StageDef<Batch> {
  if (def.plan.name !== stage.name) throw new Error(`parallel stage: definition '${def.plan.name}' is not stage '${stage.name}'`);
  return {
    plan: def.plan,
    setup: async (): Promise<StageSetup<Batch>> => {
      // The main thread's own setup decides the trainable set (and does any weight transfer); its teacher
      // batches are not used: the workers run the teacher on the token batches drawn here.
      const inner = await def.setup();
      await pool.setupStage(stage, inner.trainable);
      return {
        trainable: inner.trainable,
        loss: () => {
          throw new Error(`stage '${stage.name}': steps run on the worker pool`);
        },
        accumulate: (batches) => pool.step(batches),
        data: tokens(stage),
        dispose: () => {
          pool.endStage();
          inner.dispose?.();
        },
      };
    },
  };
}
