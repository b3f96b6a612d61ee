/**
 * The fused CPU mixing-matrix kernel (runtime/mixers/ssd-matrix-cpu.ts): values against the float64
 * product-form matrix (+ D on the diagonal), gradients of a, B, C, D against central finite differences of it,
 * with resets and G < H, and the generated (unrolled) loops against the generic ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { discreteLogDecay } from '../../../runtime/mixers/decay.ts';
import { applyResets } from '../../../runtime/mixers/ssd-inputs.ts';
import { matrixBackward, matrixForward, MAX_UNROLLED_MATRIX_N, ssdMatrixCpu, unrolledMatrixKernels } from '../../../runtime/mixers/ssd-matrix-cpu.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { finiteDiffGrad, weightedSum } from '../../helpers/reference/finite-diff.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';
import { negSoftplusF64, ssdMatrixF64 } from '../../helpers/reference/ssd-f64.ts';

const CASES = [
  { b: 1, t: 11, h: 2, g: 1, n: 3, resets: [] as number[] },
  { b: 2, t: 9, h: 4, g: 2, n: 2, resets: [4, 9 + 2] },
  { b: 1, t: 7, h: 2, g: 2, n: MAX_UNROLLED_MATRIX_N + 1, resets: [3] },
];

function withDiagonal(m: Float64Array, D: Float64Array, c: { b: number; h: number; t: number }): Float64Array {
  const out = Float64Array.from(m);
  for (let bi = 0; bi < c.b; bi++) for (let hi = 0; hi < c.h; hi++) for (let i = 0; i < c.t; i++) out[((bi * c.h + hi) * c.t + i) * c.t + i] += D[hi];
  return out;
}

describe.each(['wasm', 'cpu'] as const)('CPU mixing-matrix kernel on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(CASES.map((c, i) => [JSON.stringify(c), c, 120 + i] as const))('values and gradients vs float64 %s', async (_n, c, seed) => {
    const rng = makeRng(seed);
    const { b, t, h, g, n } = c;
    const raw: Record<string, Float64Array> = {
      a: randn(rng, b * t * h, 1, 0.3),
      B: randn(rng, b * t * g * n, 0.6),
      C: randn(rng, b * t * g * n, 0.6),
      D: randn(rng, h, 0.5, 1),
    };
    const shapes: Record<string, number[]> = { a: [b, t, h], B: [b, t, g, n], C: [b, t, g, n], D: [h] };
    const resets = new Uint8Array(b * t);
    for (const r of c.resets) resets[r] = 1;
    const wm = randn(rng, b * h * t * t);
    const f64Matrix = (r: Record<string, Float64Array>) => withDiagonal(ssdMatrixF64({ b, t, h, p: 1, g, n, logA: r.a.map(negSoftplusF64), B: r.B, C: r.C, resets }), r.D, c);
    const keys = ['a', 'B', 'C', 'D'];
    const vars = keys.map((k) => tf.tensor(Float32Array.from(raw[k]), shapes[k]));
    const resetT = tf.tensor(Float32Array.from(resets), [b, t]);
    const wmT = tf.tensor(Float32Array.from(wm), [b, h, t, t]);
    const matrix = (a: tf.Tensor, B: tf.Tensor, C: tf.Tensor, D: tf.Tensor) => ssdMatrixCpu(applyResets(discreteLogDecay(a), resetT), B, C, D);
    expect(relErr(await matrix(vars[0], vars[1], vars[2], vars[3]).data(), f64Matrix(raw))).toBeLessThan(1e-5);
    const grads = tf.grads((a, B, C, D) => matrix(a, B, C, D).mul(wmT).sum())(vars);
    for (let i = 0; i < keys.length; i++) {
      const fd = finiteDiffGrad((v) => weightedSum(f64Matrix({ ...raw, [keys[i]]: v }), wm), raw[keys[i]]);
      expect(relErr(await grads[i].data(), fd), `d loss / d ${keys[i]}`).toBeLessThan(1e-5);
    }
  });
});

describe('generated mixing-matrix loops', () => {
  it.each([1, 5, 8, MAX_UNROLLED_MATRIX_N])('N = %i: the unrolled forward and backward equal the generic loops', (n) => {
    const rng = makeRng(140 + n);
    const s = { b: 2, t: 13, h: 4, g: 2, n };
    const f32 = (len: number, scale = 1) => Float32Array.from(randn(rng, len, scale));
    const logA = Float32Array.from(randn(rng, s.b * s.t * s.h), (v) => -Math.log1p(Math.exp(v)));
    const B = f32(s.b * s.t * s.g * n, 0.5);
    const C = f32(s.b * s.t * s.g * n, 0.5);
    const D = f32(s.h);
    const k = unrolledMatrixKernels(n)!;
    // Results live in per-thread scratch arrays reused by the next call: copy before comparing.
    const fwd = k.forward(s, logA, B, C, D).slice();
    expect(relErr(fwd, matrixForward(s, logA, B, C, D).slice())).toBeLessThan(1e-6);
    const dM = f32(s.b * s.h * s.t * s.t);
    const copy = (r: ReturnType<typeof matrixBackward>) => Object.fromEntries(Object.entries(r).map(([key, v]) => [key, v.slice()])) as typeof r;
    const got = copy(k.backward(s, logA, B, C, dM));
    const want = copy(matrixBackward(s, logA, B, C, dM));
    for (const key of ['dlogA', 'dB', 'dC', 'dD'] as const) expect(relErr(got[key], want[key]), key).toBeLessThan(1e-6);
  });
});

describe.each(['wasm', 'cpu'] as const)('CPU kernel outputs on %s', (backend) => {
  it('are copies: a later call (which reuses the scratch arrays) leaves an earlier result as it was', async () => {
    await useBackend(backend);
    const rng = makeRng(150);
    const [b, t, h, g, n] = [1, 6, 2, 2, 3];
    const args = () => [
      tf.tensor(Float32Array.from(randn(rng, b * t * h), (v) => -Math.log1p(Math.exp(v))), [b, t, h]),
      tf.tensor(Float32Array.from(randn(rng, b * t * g * n)), [b, t, g, n]),
      tf.tensor(Float32Array.from(randn(rng, b * t * g * n)), [b, t, g, n]),
      tf.tensor(Float32Array.from(randn(rng, h)), [h]),
    ] as const;
    const first = ssdMatrixCpu(...args());
    const before = (await first.data()).slice();
    ssdMatrixCpu(...args());
    expect(Array.from(await first.data())).toEqual(Array.from(before));
  });
});
