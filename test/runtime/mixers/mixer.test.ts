/**
 * Whole mixer layers (Discrete Mamba-2, Mamba-2, and their GQA-aware variants) against float64 references
 * that read the HF-layout parameters: all three forms, resets, the materialised matrix, prefill + decode
 * continuation, and parameter gradients against finite differences.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { mixerParamSpecs } from '../../../runtime/mixers/layout.ts';
import { Mixer } from '../../../runtime/mixers/mixer.ts';
import { finiteDiffGrad, weightedSum } from '../../helpers/reference/finite-diff.ts';
import { mixerForwardF64, mixerMatrixF64 } from '../../helpers/reference/mixer-f64.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';
import { buildMixer, deviceParams, f64Config, randomInput, type MixerCase } from './mixer-helpers.ts';
import { host } from './ssd-helpers.ts';

const TOL = 1e-5;
const CASES: [string, MixerCase][] = [
  ['discrete, G < H', { kind: 'discrete_mamba2', dModel: 12, h: 4, p: 3, g: 2, n: 5, k: 4, q: 8 }],
  ['discrete, stories260K layer', { kind: 'discrete_mamba2', dModel: 64, h: 8, p: 8, g: 8, n: 8, k: 4, q: 16 }],
  ['discrete GQA (kv 2)', { kind: 'discrete_mamba2', dModel: 16, h: 4, p: 4, g: 4, n: 4, k: 3, q: 8, kvHeads: 2 }],
  ['discrete with biases', { kind: 'discrete_mamba2', dModel: 8, h: 2, p: 4, g: 2, n: 3, k: 2, q: 4, bias: true }],
  ['mamba2, G = 1, expand 2', { kind: 'mamba2', dModel: 6, h: 4, p: 3, g: 1, n: 5, k: 4, q: 8 }],
  ['mamba2 with biases, K = 1', { kind: 'mamba2', dModel: 8, h: 2, p: 4, g: 2, n: 3, k: 1, q: 3, bias: true }],
  ['mamba2 GQA as MambaInLlama (G = H, N = P)', { kind: 'mamba2', dModel: 16, h: 4, p: 4, g: 4, n: 4, k: 4, q: 5, kvHeads: 2 }],
];

function resetsFor(b: number, t: number, seed: number): { f64: Uint8Array; t: tf.Tensor } {
  const rng = makeRng(seed);
  const r = new Uint8Array(b * t);
  for (let i = 0; i < r.length; i++) r[i] = i % t !== 0 && rng.uniform() < 0.12 ? 1 : 0;
  r[Math.min(t - 1, 3)] = 1; // at least one reset per run, in the first sequence
  return { f64: r, t: tf.tensor(Float32Array.from(r), [b, t]) };
}

describe.each(['wasm', 'cpu'] as const)('mixers on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe.each(CASES)('%s', (_name, c) => {
    it.each([21, 1])('three forms match the float64 layer (T = %i)', async (t) => {
      const { mixer, prm } = buildMixer(c, 1);
      const u = randomInput(2, t, c.dModel, 2);
      const want = mixerForwardF64(f64Config(c), prm, u.f64, 2, t);
      for (const form of ['chunked', 'matrix', 'recurrent'] as const)
        expect(relErr(await host(mixer.forward(u.t, { form }).out), want), form).toBeLessThan(TOL);
      for (const chunk of [1, 3, 64]) expect(relErr(await host(mixer.forward(u.t, { chunk }).out), want), `chunk ${chunk}`).toBeLessThan(TOL);
    });

    it('resets cut conv and state in every form', async () => {
      const t = 19;
      const { mixer, prm } = buildMixer(c, 3);
      const u = randomInput(2, t, c.dModel, 4);
      const r = resetsFor(2, t, 5);
      const want = mixerForwardF64(f64Config(c), prm, u.f64, 2, t, r.f64);
      for (const form of ['chunked', 'matrix', 'recurrent'] as const)
        expect(relErr(await host(mixer.forward(u.t, { form, resets: r.t }).out), want), form).toBeLessThan(TOL);
    });

    it('materialised matrix (D on the diagonal, resets) matches the float64 matrix', async () => {
      const t = 13;
      const { mixer, prm } = buildMixer(c, 6);
      const u = randomInput(2, t, c.dModel, 7);
      const r = resetsFor(2, t, 8);
      expect(relErr(await host(mixer.materialize(u.t)), mixerMatrixF64(f64Config(c), prm, u.f64, 2, t))).toBeLessThan(TOL);
      expect(relErr(await host(mixer.materialize(u.t, { resets: r.t })), mixerMatrixF64(f64Config(c), prm, u.f64, 2, t, r.f64))).toBeLessThan(TOL);
    });

    it('prefill with a returned cache, then chunked continuation and decode steps = one pass', async () => {
      const t = 23;
      const { mixer } = buildMixer(c, 9);
      const u = randomInput(2, t, c.dModel, 10);
      const whole = await host(mixer.forward(u.t).out);
      const cut1 = 9;
      const cut2 = 17;
      const a = mixer.forward(u.t.slice([0, 0], [-1, cut1]), { returnCache: true });
      const bPart = mixer.forward(u.t.slice([0, cut1], [-1, cut2 - cut1]), { cache: a.cache, returnCache: true });
      const parts = [a.out, bPart.out];
      let cache = bPart.cache!;
      for (let i = cut2; i < t; i++) {
        const s = mixer.step(u.t.slice([0, i], [-1, 1]).reshape([2, c.dModel]), cache);
        parts.push(s.out.expandDims(1));
        cache = s.cache;
      }
      expect(relErr(await host(tf.concat(parts, 1)), whole)).toBeLessThan(TOL);
      // Also a recurrent-form continuation from the same cache.
      const rec = mixer.forward(u.t.slice([0, cut1], [-1, t - cut1]), { form: 'recurrent', cache: a.cache });
      expect(relErr(await host(tf.concat([a.out, rec.out], 1)), whole)).toBeLessThan(TOL);
    });

    it('decode from an empty cache = one pass (T shorter than the conv)', async () => {
      const t = 2;
      const { mixer } = buildMixer(c, 11);
      const u = randomInput(1, t, c.dModel, 12);
      let cache = mixer.emptyCache(1);
      const outs: tf.Tensor[] = [];
      for (let i = 0; i < t; i++) {
        const s = mixer.step(u.t.slice([0, i], [-1, 1]).reshape([1, c.dModel]), cache);
        outs.push(s.out);
        cache = s.cache;
      }
      expect(relErr(await host(tf.stack(outs, 1)), await host(mixer.forward(u.t).out))).toBeLessThan(TOL);
      const pre = mixer.forward(u.t, { returnCache: true }).cache!;
      expect(relErr(await host(pre.conv), await host(cache.conv))).toBeLessThan(TOL);
      expect(relErr(await host(pre.ssm), await host(cache.ssm))).toBeLessThan(TOL);
    });
  });

  it.each(CASES.filter(([, c]) => c.dModel <= 16))('parameter gradients match finite differences (%s)', async (_name, c) => {
    const b = 1;
    const t = 6;
    const { prm, dims } = buildMixer(c, 13);
    const u = randomInput(b, t, c.dModel, 14);
    const r = resetsFor(b, t, 15);
    const w = randn(makeRng(16), b * t * c.dModel);
    const wT = tf.tensor(Float32Array.from(w), [b, t, c.dModel]);
    const specs = mixerParamSpecs(dims);
    const vars = specs.map((s) => tf.variable(deviceParams(dims, prm)[s.name]));
    const params = Object.fromEntries(specs.map((s, i) => [s.name, vars[i] as tf.Tensor]));
    const mixer = new Mixer(dims, params);
    const { grads } = tf.variableGrads(() => mixer.forward(u.t, { resets: r.t }).out.mul(wT).sum() as tf.Scalar, vars);
    for (let i = 0; i < specs.length; i++) {
      const name = specs[i].name;
      const fd = finiteDiffGrad((v) => weightedSum(mixerForwardF64(f64Config(c), { ...prm, [name]: v }, u.f64, b, t, r.f64), w), prm[name]);
      // Compare in HF layout: the gradient of a compute-layout variable transposes back like the parameter.
      const g = await host(toHfLayout(specs[i].role, grads[vars[i].name], specs[i].shape));
      expect(relErr(g, fd), name).toBeLessThan(TOL);
    }
    tf.dispose(vars);
  });
});

function toHfLayout(role: string, t: tf.Tensor, shape: number[]): tf.Tensor {
  if (role === 'linear') return t.transpose();
  if (role === 'conv') return t.transpose().reshape(shape);
  return t;
}
