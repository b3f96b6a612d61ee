import { describe, expect, it } from 'vitest';
import { argmax, probabilities, sampleMultinomial, sampleToken, sampleTopP, XorShiftRng } from '../../../runtime/sample/index.ts';

describe('XorShiftRng (run.c random_u32)', () => {
  it('matches the C generator', () => {
    // Printed by run.c's random_u32 compiled with gcc (seed 42, then seed 2^64 − 1).
    const r = new XorShiftRng(42);
    expect([1, 2, 3, 4, 5].map(() => r.nextU32())).toEqual([1456360119, 3359763283, 3393612768, 4054632243, 3283045847]);
    const m = new XorShiftRng(18446744073709551615n);
    expect([1, 2, 3].map(() => m.nextU32())).toEqual([4180462053, 2415166680, 879531507]);
  });
  it('round-trips its state and never sticks at zero', () => {
    const a = new XorShiftRng(9);
    a.nextU32();
    const b = XorShiftRng.fromState(JSON.parse(JSON.stringify(a.state())));
    expect([a.float(), a.float()]).toEqual([b.float(), b.float()]);
    const z = new XorShiftRng(0);
    expect(new Set([z.nextU32(), z.nextU32(), z.nextU32()]).size).toBe(3);
  });
  it('floats lie in [0, 1) with 24-bit resolution', () => {
    const r = new XorShiftRng(3);
    for (let i = 0; i < 1000; i++) {
      const x = r.float();
      expect(x >= 0 && x < 1).toBe(true);
      expect(Number.isInteger(x * 16777216)).toBe(true);
    }
  });
});

describe('samplers', () => {
  it('argmax takes the first of equal maxima', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(sampleToken([0, 5, 5], { temperature: 0, topP: 0.9 }, () => {
      throw new Error('greedy draws no coin');
    })).toBe(1);
  });
  it('softmax with temperature matches float64 within float32 rounding', () => {
    const logits = [2, -1, 0.5, 3.25];
    const p = probabilities(logits, 0.7);
    const e = logits.map((l) => Math.exp(l / 0.7));
    const z = e.reduce((a, b) => a + b);
    e.forEach((x, i) => expect(p[i]).toBeCloseTo(x / z, 6));
  });
  it('multinomial walks the cdf', () => {
    const p = Float32Array.from([0.25, 0.5, 0.25]);
    expect(sampleMultinomial(p, 0)).toBe(0);
    expect(sampleMultinomial(p, 0.2499)).toBe(0);
    expect(sampleMultinomial(p, 0.25)).toBe(1);
    expect(sampleMultinomial(p, 0.76)).toBe(2);
  });
  it('top-p keeps the smallest set whose mass exceeds p and rescales the coin to it', () => {
    const p = Float32Array.from([0.2, 0.5, 0.3]);
    // Sorted: 1 (0.5), 2 (0.3) → cumulative 0.8 > 0.7; token 0 is outside the nucleus.
    expect(sampleTopP(p, 0.7, 0)).toBe(1);
    expect(sampleTopP(p, 0.7, 0.62)).toBe(1); // r = 0.496 < 0.5
    expect(sampleTopP(p, 0.7, 0.63)).toBe(2); // r = 0.504
    expect(sampleTopP(p, 0.7, 0.9999)).toBe(2);
  });
  it('draws follow the renormalised nucleus distribution', () => {
    const logits = [1, 2, 0, -1, 1.5];
    const rng = new XorShiftRng(123);
    const counts = new Array(5).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, { temperature: 1, topP: 0.8 }, () => rng.float())]++;
    const p = Array.from(probabilities(logits, 1));
    const order = [1, 4, 0, 2, 3];
    let cum = 0;
    const keep = order.filter((i) => (cum += p[i]) - p[i] <= 0.8);
    const mass = keep.reduce((a, i) => a + p[i], 0);
    for (let i = 0; i < 5; i++) {
      const want = keep.includes(i) ? p[i] / mass : 0;
      expect(Math.abs(counts[i] / n - want)).toBeLessThan(0.015);
    }
  });
});
