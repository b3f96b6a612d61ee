/**
 * Gradients by tfjs autograd through the chunked and materialised forms against central finite differences
 * of the float64 references, for every input (x, raw decay a, B, C, initial state), on small shapes with
 * T not a multiple of Q, G < H, and resets.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { discreteLogDecay } from '../../../runtime/mixers/decay.ts';
import { ssdChunked } from '../../../runtime/mixers/ssd-chunked.ts';
import { ssdMatrix } from '../../../runtime/mixers/ssd-matrix.ts';
import { finiteDiffGrad, weightedSum } from '../../helpers/reference/finite-diff.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';
import { negSoftplusF64, ssdMatrixF64, ssdRecurrenceF64, type SsdF64Inputs } from '../../helpers/reference/ssd-f64.ts';
import { host } from './ssd-helpers.ts';

const TOL = 1e-5;

interface Raw {
  x: Float64Array;
  a: Float64Array;
  B: Float64Array;
  C: Float64Array;
  s0: Float64Array;
}
type Key = keyof Raw;
const KEYS: Key[] = ['x', 'a', 'B', 'C', 's0'];

function setup(dims: { b: number; t: number; h: number; p: number; g: number; n: number }, seed: number) {
  const rng = makeRng(seed);
  const { b, t, h, p, g, n } = dims;
  const raw: Raw = {
    x: randn(rng, b * t * h * p),
    a: randn(rng, b * t * h, 1, 0.3),
    B: randn(rng, b * t * g * n, 0.6),
    C: randn(rng, b * t * g * n, 0.6),
    s0: randn(rng, b * h * p * n, 0.5),
  };
  const shapes: Record<Key, number[]> = { x: [b, t, h, p], a: [b, t, h], B: [b, t, g, n], C: [b, t, g, n], s0: [b, h, p, n] };
  return { raw, shapes, wy: randn(rng, b * t * h * p), ws: randn(rng, b * h * p * n), wm: randn(rng, b * h * t * t) };
}

const CASES = [
  { b: 1, t: 11, h: 2, p: 2, g: 1, n: 3, q: 4, resets: [] as number[] },
  { b: 2, t: 7, h: 2, p: 3, g: 2, n: 2, q: 3, resets: [4, 7 + 1] },
  { b: 1, t: 9, h: 4, p: 2, g: 2, n: 2, q: 9, resets: [5] },
];

describe.each(['wasm', 'cpu'] as const)('SSD gradients vs float64 finite differences on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CASES.map((c, i) => [JSON.stringify(c), c, 40 + i] as const))('chunked form %s', async (_n, c, seed) => {
    const { raw, shapes, wy, ws } = setup(c, seed);
    const resets = new Uint8Array(c.b * c.t);
    for (const r of c.resets) resets[r] = 1;
    const f64 = (r: Raw) => {
      const inp: SsdF64Inputs = { ...c, x: r.x, logA: r.a.map(negSoftplusF64), B: r.B, C: r.C, initialState: r.s0, resets };
      const out = ssdRecurrenceF64(inp);
      return weightedSum(out.y, wy) + weightedSum(out.finalState, ws);
    };
    const vars = KEYS.map((k) => tf.tensor(Float32Array.from(raw[k]), shapes[k]));
    const resetT = tf.tensor(Float32Array.from(resets), [c.b, c.t]);
    const wyT = tf.tensor(Float32Array.from(wy), shapes.x);
    const wsT = tf.tensor(Float32Array.from(ws), shapes.s0);
    const grads = tf.grads((x, a, B, C, s0) => {
      const out = ssdChunked({ x, logA: discreteLogDecay(a), B, C, resets: resetT }, { chunk: c.q, initialState: s0 });
      return out.y.mul(wyT).sum().add(out.finalState.mul(wsT).sum());
    })(vars);
    for (let i = 0; i < KEYS.length; i++) {
      const key = KEYS[i];
      const fd = finiteDiffGrad((v) => f64({ ...raw, [key]: v }), raw[key]);
      const got = await host(grads[i]);
      expect(relErr(got, fd), `d loss / d ${key}`).toBeLessThan(TOL);
    }
  });

  it.each(CASES.map((c, i) => [JSON.stringify(c), c, 60 + i] as const))('materialised form %s', async (_n, c, seed) => {
    const { raw, shapes, wm } = setup(c, seed);
    const resets = new Uint8Array(c.b * c.t);
    for (const r of c.resets) resets[r] = 1;
    const f64 = (r: Raw) => weightedSum(ssdMatrixF64({ ...c, logA: r.a.map(negSoftplusF64), B: r.B, C: r.C, resets }), wm);
    const keys: Key[] = ['a', 'B', 'C'];
    const vars = keys.map((k) => tf.tensor(Float32Array.from(raw[k]), shapes[k]));
    const resetT = tf.tensor(Float32Array.from(resets), [c.b, c.t]);
    const wmT = tf.tensor(Float32Array.from(wm), [c.b, c.h, c.t, c.t]);
    for (const block of [0, 3]) {
      const grads = tf.grads((a, B, C) => ssdMatrix({ logA: discreteLogDecay(a), B, C, resets: resetT }, { block }).mul(wmT).sum())(vars);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const fd = finiteDiffGrad((v) => f64({ ...raw, [key]: v }), raw[key]);
        expect(relErr(await host(grads[i]), fd), `block ${block}: d loss / d ${key}`).toBeLessThan(TOL);
      }
    }
  });
});
