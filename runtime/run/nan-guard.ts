/**
 * The NaN guard: before an update is applied, the loss and every gradient norm must be finite. Otherwise the
 * step is refused (the parameters keep their last good values, no checkpoint is written) and the run stops
 * with a TrainingDivergedError naming the first offending parameter in model order.
 */
import { TrainingDivergedError, type DivergenceReport } from './errors.ts';

export interface GuardContext {
  stage: string;
  step: number;
  tokens: number;
  lastCheckpoint: string | null;
}

function layerOf(name: string): number | undefined {
  const m = /(?:^|\.)(?:layers|h|blocks)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Throws if `loss` or any norm in `perParam` (iterated in model order) is not finite. */
export function guardFinite(loss: number, perParam: ReadonlyMap<string, number>, ctx: GuardContext): void {
  const base = { stage: ctx.stage, step: ctx.step, tokens: ctx.tokens, lastCheckpoint: ctx.lastCheckpoint };
  if (!Number.isFinite(loss)) throw new TrainingDivergedError({ ...base, what: 'loss', value: String(loss) });
  for (const [name, norm] of perParam) {
    if (!Number.isFinite(norm)) {
      const report: DivergenceReport = { ...base, what: 'gradient', parameter: name, value: String(norm) };
      const layer = layerOf(name);
      if (layer !== undefined) report.layer = layer;
      throw new TrainingDivergedError(report);
    }
  }
}
