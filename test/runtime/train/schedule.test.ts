import { describe, expect, it } from 'vitest';
import { lrAt, lrFactor, type Schedule } from '../../../runtime/train/schedule.ts';

// The reference recipe's schedule, transcribed from /work/shared/bench/ref_distill.py (`wsd`), used with
// torch LambdaLR so that update k uses wsd(k, total).
function refWsd(step: number, total: number, warm = 0.05, decay = 0.2): number {
  if (step < warm * total) return (step + 1) / (warm * total);
  if (step > (1 - decay) * total) return Math.max(1e-4, (total - step) / (decay * total));
  return 1.0;
}

const WSD: Schedule = { kind: 'wsd', warmup: 0.05, decay: 0.2, minLrRatio: 1e-4 };

describe('lr schedules', () => {
  it('wsd: exact values at the phase boundaries of a 100-step stage', () => {
    const f = (k: number) => lrFactor(WSD, k, 100);
    expect([0, 1, 2, 3, 4].map(f)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(f(5)).toBe(1);
    expect(f(80)).toBe(1); // 80 > 0.8·100 is false: still stable
    expect(f(81)).toBe(19 / 20);
    expect(f(99)).toBe(1 / 20);
    expect(lrAt(WSD, 1e-3, 99, 100)).toBe(1e-3 * (1 / 20));
  });

  it('wsd: the decay is floored at minLrRatio', () => {
    expect(lrFactor(WSD, 99_999, 100_000)).toBe(1e-4); // 1/20000 < 1e-4
    expect(lrFactor(WSD, 99_990, 100_000)).toBe(10 / 20_000);
    expect(lrFactor({ ...WSD, minLrRatio: 0 }, 99_999, 100_000)).toBe(1 / 20_000);
  });

  it('wsd equals the reference wherever the warm-up length is a whole number of steps', () => {
    for (const total of [1, 20, 40, 100, 120, 1000, 1220]) {
      for (let k = 0; k < total; k++) {
        const ref = refWsd(k, total);
        const ours = lrFactor(WSD, k, total);
        if (Number.isInteger(0.05 * total)) expect(ours).toBe(ref);
        else expect(ours).toBe(Math.min(1, ref)); // the reference overshoots past 1 there (documented)
      }
    }
    // total 30: warm-up 1.5 steps; the reference gives 1.333 at step 1, we cap at 1.
    expect(refWsd(1, 30)).toBeCloseTo(4 / 3, 12);
    expect(lrFactor(WSD, 1, 30)).toBe(1);
  });

  it('cosine: 1 right after warm-up, half way at the midpoint, floor approached at the end', () => {
    const cos: Schedule = { kind: 'cosine', warmup: 0.1, decay: 0, minLrRatio: 0.1 };
    expect(lrFactor(cos, 0, 100)).toBe(0.1);
    expect(lrFactor(cos, 9, 100)).toBe(1);
    expect(lrFactor(cos, 10, 100)).toBe(1);
    expect(lrFactor(cos, 55, 100)).toBeCloseTo(0.1 + 0.9 * 0.5, 15);
    // p = 89/90 at the last step
    expect(lrFactor(cos, 99, 100)).toBeCloseTo(0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * 89) / 90)), 15);
    for (let k = 11; k < 100; k++) expect(lrFactor(cos, k, 100)).toBeLessThan(lrFactor(cos, k - 1, 100));
  });

  it('constant: warm-up then flat; no warm-up means the base lr from step 0', () => {
    const c: Schedule = { kind: 'constant', warmup: 0.25, decay: 0, minLrRatio: 0 };
    expect([0, 1, 2, 3, 4, 7].map((k) => lrFactor(c, k, 8))).toEqual([0.5, 1, 1, 1, 1, 1]);
    expect(lrFactor({ ...c, warmup: 0 }, 0, 8)).toBe(1);
    expect(lrFactor({ ...WSD, warmup: 0, decay: 0 }, 0, 1)).toBe(1);
  });

  it('rejects out-of-range steps and malformed schedules', () => {
    expect(() => lrFactor(WSD, 100, 100)).toThrow(/step/);
    expect(() => lrFactor(WSD, -1, 100)).toThrow(/step/);
    expect(() => lrFactor(WSD, 0, 0)).toThrow(/totalSteps/);
    expect(() => lrFactor({ ...WSD, warmup: 0.9, decay: 0.2 }, 0, 10)).toThrow(/fractions/);
    expect(() => lrFactor({ ...WSD, minLrRatio: 2 }, 0, 10)).toThrow(/minLrRatio/);
    expect(() => lrFactor({ ...WSD, kind: 'linear' as never }, 50, 100)).toThrow(/unknown kind/);
  });
});
