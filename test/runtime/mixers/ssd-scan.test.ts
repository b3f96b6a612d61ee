/**
 * The scan form (runtime/mixers/ssd-scan.ts): values against the float64 recurrence, gradients of every input
 * against central finite differences of it, and the generated (unrolled) loops against the generic ones they
 * are specialised from — on shapes with G < H, resets, initial states, N = 1 and N above the unrolling limit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { discreteLogDecay } from '../../../runtime/mixers/decay.ts';
import { scanBackward, scanForward, ssdScan } from '../../../runtime/mixers/ssd-scan.ts';
import { MAX_UNROLLED_N, unrolledKernels } from '../../../runtime/mixers/ssd-scan-kernels.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { finiteDiffGrad, weightedSum } from '../../helpers/reference/finite-diff.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';
import { negSoftplusF64, ssdRecurrenceF64, type SsdF64Inputs } from '../../helpers/reference/ssd-f64.ts';
import { randomSsd, toTensors, host } from './ssd-helpers.ts';

const TOL = 1e-5;

const VALUE_CASES = [
  { b: 2, t: 37, h: 4, p: 3, g: 2, n: 5 },
  { b: 1, t: 64, h: 8, p: 8, g: 8, n: 8 },
  { b: 2, t: 9, h: 2, p: 2, g: 1, n: 1 },
  { b: 1, t: 13, h: 2, p: 2, g: 2, n: MAX_UNROLLED_N + 1 },
];

describe.each(['wasm', 'cpu'] as const)('scan form on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(VALUE_CASES.map((c, i) => [JSON.stringify(c), c, 70 + i] as const))('equals the float64 recurrence %s (resets, initial state)', async (_n, c, seed) => {
    for (const opts of [{}, { resetRate: 0.15, initialState: true }]) {
      const ref = randomSsd(c, seed, opts);
      const want = ssdRecurrenceF64(ref);
      const { initialState, ...inputs } = toTensors(ref);
      const r = ssdScan(inputs, { initialState });
      expect(relErr(await host(r.y), want.y), `y ${JSON.stringify(opts)}`).toBeLessThan(TOL);
      expect(relErr(await host(r.finalState), want.finalState), `final state ${JSON.stringify(opts)}`).toBeLessThan(TOL);
    }
  });

  const GRAD_CASES = [
    { b: 1, t: 11, h: 2, p: 2, g: 1, n: 3, resets: [] as number[] },
    { b: 2, t: 7, h: 2, p: 3, g: 2, n: 2, resets: [4, 7 + 1] },
    { b: 1, t: 9, h: 4, p: 2, g: 2, n: MAX_UNROLLED_N + 1, resets: [5] },
  ];
  it.each(GRAD_CASES.map((c, i) => [JSON.stringify(c), c, 80 + i] as const))('gradients of x, a, B, C, S0 equal float64 finite differences %s', async (_n, c, seed) => {
    const rng = makeRng(seed);
    const { b, t, h, p, g, n } = c;
    const raw: Record<string, Float64Array> = {
      x: randn(rng, b * t * h * p),
      a: randn(rng, b * t * h, 1, 0.3),
      B: randn(rng, b * t * g * n, 0.6),
      C: randn(rng, b * t * g * n, 0.6),
      s0: randn(rng, b * h * p * n, 0.5),
    };
    const shapes: Record<string, number[]> = { x: [b, t, h, p], a: [b, t, h], B: [b, t, g, n], C: [b, t, g, n], s0: [b, h, p, n] };
    const wy = randn(rng, b * t * h * p);
    const ws = randn(rng, b * h * p * n);
    const resets = new Uint8Array(b * t);
    for (const r of c.resets) resets[r] = 1;
    const f64 = (r: Record<string, Float64Array>) => {
      const inp: SsdF64Inputs = { ...c, x: r.x, logA: r.a.map(negSoftplusF64), B: r.B, C: r.C, initialState: r.s0, resets };
      const out = ssdRecurrenceF64(inp);
      return weightedSum(out.y, wy) + weightedSum(out.finalState, ws);
    };
    const keys = ['x', 'a', 'B', 'C', 's0'];
    const vars = keys.map((k) => tf.tensor(Float32Array.from(raw[k]), shapes[k]));
    const resetT = tf.tensor(Float32Array.from(resets), [b, t]);
    const wyT = tf.tensor(Float32Array.from(wy), shapes.x);
    const wsT = tf.tensor(Float32Array.from(ws), shapes.s0);
    const grads = tf.grads((x, a, B, C, s0) => {
      const out = ssdScan({ x, logA: discreteLogDecay(a), B, C, resets: resetT }, { initialState: s0 });
      return out.y.mul(wyT).sum().add(out.finalState.mul(wsT).sum());
    })(vars);
    for (let i = 0; i < keys.length; i++) {
      const fd = finiteDiffGrad((v) => f64({ ...raw, [keys[i]]: v }), raw[keys[i]]);
      expect(relErr(await host(grads[i]), fd), `d loss / d ${keys[i]}`).toBeLessThan(TOL);
    }
  });
});

describe('generated scan loops', () => {
  it.each([1, 3, 8, MAX_UNROLLED_N])('N = %i: the unrolled forward and backward equal the generic loops', (n) => {
    const rng = makeRng(90 + n);
    const s = { b: 2, t: 19, h: 4, p: 3, g: 2, n };
    const f32 = (len: number, scale = 1) => Float32Array.from(randn(rng, len, scale));
    const x = f32(s.b * s.t * s.h * s.p);
    const logA = Float32Array.from(randn(rng, s.b * s.t * s.h), (v) => -Math.log1p(Math.exp(v)));
    const B = f32(s.b * s.t * s.g * n, 0.5);
    const C = f32(s.b * s.t * s.g * n, 0.5);
    const s0 = f32(s.b * s.h * s.p * n, 0.5);
    const k = unrolledKernels(n)!;
    // The generated kernels return reused scratch arrays: copy before the next call.
    const out = k.forward(s, x, logA, B, C, s0).slice();
    expect(relErr(out, scanForward(s, x, logA, B, C, s0))).toBeLessThan(1e-6);
    const dOut = f32(out.length);
    const got = Object.fromEntries(Object.entries(k.backward(s, x, logA, B, C, s0, dOut)).map(([key, v]) => [key, v.slice()])) as unknown as ReturnType<typeof scanBackward>;
    const want = scanBackward(s, x, logA, B, C, s0, dOut);
    for (const key of ['dx', 'dlogA', 'dB', 'dC', 'ds0'] as const) expect(relErr(got[key], want[key]), key).toBeLessThan(1e-6);
  });

  it('has no unrolled version past the limit (the generic loops serve it)', () => {
    expect(unrolledKernels(MAX_UNROLLED_N + 1)).toBeUndefined();
  });
});
