/**
 * The float64 references the kernels are judged by are themselves checked: their gradients against central
 * finite differences of their own forwards, on small shapes with groups (G < H), both decay kinds, an initial
 * state and a final-state gradient.
 */
import { describe, expect, it } from 'vitest';
import { finiteDiffGrad, weightedSum } from '../helpers/reference/finite-diff.ts';
import { makeRng, randn, relErr } from '../helpers/reference/random.ts';
import { type Decay, type RawInputs, backwardRef, forwardRef, materializeBackwardRef, materializeRef, stepRef } from './reference.ts';

function inputs(decay: Decay, seed: number): RawInputs {
  const rng = makeRng(seed);
  const [b, t, h, p, g, n] = [2, 5, 4, 3, 2, 3];
  return {
    decay, b, t, h, p, g, n,
    x: randn(rng, b * t * h * p),
    dec: randn(rng, b * t * h),
    B: randn(rng, b * t * g * n),
    C: randn(rng, b * t * g * n),
    hp: randn(rng, 3 * h, 0.5),
    s0: randn(rng, b * h * p * n),
  };
}

type Field = 'x' | 'dec' | 'B' | 'C' | 'hp' | 's0';

describe('float64 kernel references', () => {
  for (const decay of ['discrete', 'continuous'] as const) {
    it(`ssd backward matches finite differences (${decay})`, () => {
      const inp = inputs(decay, decay === 'discrete' ? 11 : 12);
      const rng = makeRng(99);
      const wy = randn(rng, inp.b * inp.t * inp.h * inp.p);
      const ws = randn(rng, inp.b * inp.h * inp.p * inp.n);
      const loss = (i: RawInputs) => {
        const { y, finalState } = forwardRef(i);
        return weightedSum(y, wy) + weightedSum(finalState, ws);
      };
      const grads = backwardRef(inp, wy, ws);
      const fd = (field: Field) => finiteDiffGrad((v) => loss({ ...inp, [field]: v }), inp[field]!);
      expect(relErr(grads.dx, fd('x'))).toBeLessThan(1e-7);
      expect(relErr(grads.ddec, fd('dec'))).toBeLessThan(1e-7);
      expect(relErr(grads.dB, fd('B'))).toBeLessThan(1e-7);
      expect(relErr(grads.dC, fd('C'))).toBeLessThan(1e-7);
      expect(relErr(grads.dS0, fd('s0'))).toBeLessThan(1e-7);
      const dhp = fd('hp');
      const h = inp.h;
      expect(relErr(grads.dD, dhp.subarray(0, h))).toBeLessThan(1e-7);
      if (decay === 'continuous') {
        const dtb = new Float64Array(h);
        const alog = new Float64Array(h);
        for (let i = 0; i < grads.ddec.length; i++) {
          dtb[i % h] += grads.ddec[i];
          alog[i % h] += grads.dAlogPart[i];
        }
        expect(relErr(dtb, dhp.subarray(h, 2 * h))).toBeLessThan(1e-7);
        expect(relErr(alog, dhp.subarray(2 * h))).toBeLessThan(1e-7);
      }
    });

    it(`matrix backward matches finite differences (${decay})`, () => {
      const inp = inputs(decay, decay === 'discrete' ? 21 : 22);
      const w = randn(makeRng(5), inp.b * inp.h * inp.t * inp.t);
      const loss = (i: RawInputs) => weightedSum(materializeRef(i), w);
      const grads = materializeBackwardRef(inp, w);
      const fd = (field: Field) => finiteDiffGrad((v) => loss({ ...inp, [field]: v }), inp[field]!);
      expect(relErr(grads.dB, fd('B'))).toBeLessThan(1e-7);
      expect(relErr(grads.dC, fd('C'))).toBeLessThan(1e-7);
      expect(relErr(grads.ddec, fd('dec'))).toBeLessThan(1e-7);
      const dhp = fd('hp');
      expect(relErr(grads.dD, dhp.subarray(0, inp.h))).toBeLessThan(1e-7);
    });

    it(`matrix applied to x equals the recurrence, and T steps equal the forward (${decay})`, () => {
      const inp = inputs(decay, 31);
      const { y } = forwardRef({ ...inp, s0: undefined });
      const m = materializeRef(inp);
      const { b, t, h, p, g, n } = inp;
      const ym = new Float64Array(y.length);
      for (let bi = 0; bi < b; bi++)
        for (let hi = 0; hi < h; hi++)
          for (let ti = 0; ti < t; ti++)
            for (let pi = 0; pi < p; pi++) {
              let acc = 0;
              for (let s = 0; s <= ti; s++) acc += m[((bi * h + hi) * t + ti) * t + s] * inp.x[((bi * t + s) * h + hi) * p + pi];
              ym[((bi * t + ti) * h + hi) * p + pi] = acc;
            }
      expect(relErr(ym, y)).toBeLessThan(1e-12);
      let state: Float64Array = Float64Array.from(inp.s0!);
      const full = forwardRef(inp);
      for (let ti = 0; ti < t; ti++) {
        const pick = (a: Float64Array, w: number) => {
          const o = new Float64Array(b * w);
          for (let bi = 0; bi < b; bi++) o.set(a.subarray((bi * t + ti) * w, (bi * t + ti + 1) * w), bi * w);
          return o;
        };
        const r = stepRef({ decay, b, h, p, g, n, state, x: pick(inp.x, h * p), dec: pick(inp.dec, h), B: pick(inp.B, g * n), C: pick(inp.C, g * n), hp: inp.hp });
        state = r.state;
        expect(relErr(r.y, pick(full.y, h * p))).toBeLessThan(1e-12);
      }
      expect(relErr(state, full.finalState)).toBeLessThan(1e-12);
    });
  }
});
