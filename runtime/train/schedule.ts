/**
 * Learning-rate schedules as pure functions of (step, totalSteps): a resumed run needs nothing but the step
 * counter from its checkpoint to land on the same lr. Steps are 0-based optimizer steps within one stage (the
 * reference restarts the schedule at every stage); `lrAt(…, k, n)` is the lr used by the k-th update of n,
 * as PyTorch's LambdaLR gives it when `scheduler.step()` follows `optimizer.step()`.
 */
import type { ScheduleIR } from '../../compiler/ir/types.ts';

export type Schedule = Pick<ScheduleIR, 'kind' | 'warmup' | 'decay' | 'minLrRatio'>;

function checkSchedule(s: Schedule): void {
  const fraction = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;
  if (!fraction(s.warmup) || !fraction(s.decay) || s.warmup + s.decay > 1) {
    throw new RangeError(`schedule: warmup (${s.warmup}) and decay (${s.decay}) must be fractions summing to at most 1`);
  }
  if (!fraction(s.minLrRatio)) throw new RangeError(`schedule: minLrRatio must be in [0, 1], got ${s.minLrRatio}`);
}

/**
 * Multiplier of the base lr at `step` of `totalSteps`.
 * - warm-up (all kinds): (step + 1) / (warmup · total) while step < warmup · total, capped at 1. The reference
 *   (`ref_distill.py: wsd`) leaves it uncapped, which overshoots to up to 2× when warmup · total is not an
 *   integer; with an integer warm-up length the two agree exactly.
 * - wsd: 1, then for step > (1 − decay) · total linearly (total − step) / (decay · total), floored at minLrRatio.
 * - cosine: from 1 after warm-up to minLrRatio at the last step's end: min + (1 − min)·½(1 + cos(π·p)),
 *   p = (step − W) / (total − W) with W = warmup · total; `decay` is not used.
 * - constant: 1 after warm-up.
 */
export function lrFactor(s: Schedule, step: number, totalSteps: number): number {
  checkSchedule(s);
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new RangeError(`schedule: totalSteps must be ≥ 1, got ${totalSteps}`);
  if (!Number.isInteger(step) || step < 0 || step >= totalSteps) {
    throw new RangeError(`schedule: step must be an integer in [0, ${totalSteps}), got ${step}`);
  }
  const warmSteps = s.warmup * totalSteps;
  if (step < warmSteps) return Math.min(1, (step + 1) / warmSteps);
  switch (s.kind) {
    case 'constant':
      return 1;
    case 'wsd': {
      if (step > (1 - s.decay) * totalSteps) {
        return Math.max(s.minLrRatio, (totalSteps - step) / (s.decay * totalSteps));
      }
      return 1;
    }
    case 'cosine': {
      const p = (step - warmSteps) / (totalSteps - warmSteps);
      return s.minLrRatio + (1 - s.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
    default:
      throw new RangeError(`schedule: unknown kind '${(s as { kind: string }).kind}'`);
  }
}

export function lrAt(s: Schedule, baseLr: number, step: number, totalSteps: number): number {
  return baseLr * lrFactor(s, step, totalSteps);
}
