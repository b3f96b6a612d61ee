/**
 * Recipe changes for the quality runs on the GPU machine (bench/quality/device/train-entry.ts): each one a value
 * a spec can state, applied to a generated program without the compiler (which the device does not have).
 * test/quality/harness-changes.test.ts holds the result to the compiler's IR of the equivalent spec.
 */
import type { StageIR } from '../../../compiler/ir/types.ts';
import type { Program, ProgramStage } from '../../../runtime/program/types.ts';
import { endToEnd } from '../../../runtime/stages/end-to-end.ts';
import { hiddenStateAlignment } from '../../../runtime/stages/hidden-state-alignment.ts';
import { matrixOrientation } from '../../../runtime/stages/matrix-orientation.ts';

const RUNNERS = { matrix_orientation: matrixOrientation, hidden_state_alignment: hiddenStateAlignment, end_to_end: endToEnd } as const;

/** Recipe changes, each one a spec value (docs/quality.md §4 lists the spec line for each). */
export interface Changes {
  /** student `decay_init`. */
  decayInit?: number;
  /**
   * Every stage's `checkpoint_every` (tokens). Shorter spacing loses less when a device call's time limit
   * kills a run mid-stage (it resumes on the next call); it changes no trained weight.
   */
  checkpointEvery?: number;
  /** The spec's `seed` (defaults and data blocks): the student's random init and every stage's batch stream. */
  seed?: number;
  /** Per stage: lr, tokens, batch (sequences per step), stage-2 loss target. */
  stages?: Record<string, { lr?: number; tokens?: number; batch?: number; target?: 'block' | 'mixer' }>;
}

export function changedProgram(base: Program, changes: Changes, drop: readonly string[], micro?: number): Program {
  const student = changes.decayInit === undefined ? base.student : { ...base.student, decayInit: changes.decayInit };
  const kept = base.stages.filter((s) => !drop.includes(s.STAGE.name));
  const stages: ProgramStage[] = kept.map((s, i) => {
    const c = changes.stages?.[s.STAGE.name] ?? {};
    const stage: StageIR = { ...s.STAGE };
    if (c.lr !== undefined) stage.lr = c.lr;
    if (changes.checkpointEvery !== undefined) stage.checkpointEvery = changes.checkpointEvery;
    if (changes.seed !== undefined) stage.seed = changes.seed;
    if (c.tokens !== undefined) stage.tokens = c.tokens;
    if (c.batch !== undefined) stage.batchTokens = c.batch * stage.seqLen;
    if (c.target !== undefined) {
      if (stage.loss.kind !== 'l2') throw new Error(`stage ${stage.name}: a target applies to l2 losses only`);
      stage.loss = { ...stage.loss, target: c.target };
    }
    if (micro !== undefined) stage.microBatch = Math.min(micro, stage.batchTokens / stage.seqLen);
    if (i === 0) delete stage.after;
    else stage.after = kept[i - 1].STAGE.name;
    const run = RUNNERS[stage.kind];
    return { STAGE: stage, define: (ctx) => run(ctx, stage) };
  });
  for (const name of Object.keys(changes.stages ?? {}))
    if (!kept.some((s) => s.STAGE.name === name)) throw new Error(`--set names stage '${name}', which this run does not have`);
  const data = changes.seed === undefined ? base.data : base.data.map((d) => ({ ...d, seed: changes.seed as number }));
  return { ...base, student, data, stages };
}
