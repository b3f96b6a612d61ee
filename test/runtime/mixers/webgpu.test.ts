/**
 * The same forms and layers on the webgpu backend (Dawn on Mesa lavapipe in CI: `eval "$(scripts/setup-lavapipe.sh)"`),
 * against the float64 references: the GPU tfjs path must compute the same numbers, gradients included.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { discreteLogDecay } from '../../../runtime/mixers/decay.ts';
import { ssdChunked } from '../../../runtime/mixers/ssd-chunked.ts';
import { applyMixingMatrix, ssdMatrix } from '../../../runtime/mixers/ssd-matrix.ts';
import { ssdRecurrent } from '../../../runtime/mixers/ssd-step.ts';
import { finiteDiffGrad, weightedSum } from '../../helpers/reference/finite-diff.ts';
import { mixerForwardF64, mixerMatrixF64 } from '../../helpers/reference/mixer-f64.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';
import { negSoftplusF64, ssdMatrixF64, ssdRecurrenceF64 } from '../../helpers/reference/ssd-f64.ts';
import { loadGoldenCase } from './golden.ts';
import { buildMixer, f64Config, randomInput, type MixerCase } from './mixer-helpers.ts';
import { host, randomSsd, toTensors } from './ssd-helpers.ts';

const TOL = 1e-5;
const haveVulkan = !!process.env.VK_ICD_FILENAMES;

describe.skipIf(!haveVulkan && !process.env.CI)('mixers on webgpu', () => {
  beforeAll(async () => {
    await useBackend('webgpu');
  });

  it.each([
    { b: 2, t: 37, h: 4, p: 3, g: 2, n: 5, q: 8 },
    { b: 1, t: 64, h: 8, p: 8, g: 8, n: 8, q: 16 },
  ])('SSD forms with initial state and resets match the float64 recurrence (%o)', async (c) => {
    const ref = randomSsd(c, 21, { resetRate: 0.1, initialState: true });
    const want = ssdRecurrenceF64(ref);
    const inp = toTensors(ref);
    const ch = ssdChunked(inp, { chunk: c.q, initialState: inp.initialState });
    expect(relErr(await host(ch.y), want.y)).toBeLessThan(TOL);
    expect(relErr(await host(ch.finalState), want.finalState)).toBeLessThan(TOL);
    expect(relErr(await host(ssdRecurrent(inp, inp.initialState).y), want.y)).toBeLessThan(TOL);
    for (const block of [0, 5]) expect(relErr(await host(ssdMatrix(inp, { block })), ssdMatrixF64(ref)), `block ${block}`).toBeLessThan(TOL);
    const noInit = randomSsd(c, 22);
    const t2 = toTensors(noInit);
    expect(relErr(await host(applyMixingMatrix(ssdMatrix(t2), t2.x)), ssdRecurrenceF64(noInit).y)).toBeLessThan(TOL);
  });

  it('reproduces the official chunked reference case', async () => {
    const g = loadGoldenCase('chunked_b2_t128_h4_p8_n16_q32');
    const ten = (k: string) => tf.tensor(Float32Array.from(g.t[k].data), g.t[k].shape);
    const r = ssdChunked({ x: ten('X'), logA: discreteLogDecay(ten('a_raw')), B: ten('B'), C: ten('C') }, { chunk: 32 });
    expect(relErr(await host(r.y), g.t.Y.data)).toBeLessThan(TOL);
    expect(relErr(await host(r.finalState), g.t.final_state.data)).toBeLessThan(TOL);
  });

  it.each<[string, MixerCase]>([
    ['discrete GQA', { kind: 'discrete_mamba2', dModel: 16, h: 4, p: 4, g: 4, n: 4, k: 3, q: 8, kvHeads: 2 }],
    ['mamba2', { kind: 'mamba2', dModel: 6, h: 4, p: 3, g: 1, n: 5, k: 4, q: 8 }],
  ])('%s layer: all forms and the matrix match float64', async (_n, c) => {
    const { mixer, prm } = buildMixer(c, 31);
    const u = randomInput(2, 19, c.dModel, 32);
    const want = mixerForwardF64(f64Config(c), prm, u.f64, 2, 19);
    for (const form of ['chunked', 'matrix', 'recurrent'] as const)
      expect(relErr(await host(mixer.forward(u.t, { form }).out), want), form).toBeLessThan(TOL);
    expect(relErr(await host(mixer.materialize(u.t)), mixerMatrixF64(f64Config(c), prm, u.f64, 2, 19))).toBeLessThan(TOL);
  });

  it('chunked gradients match finite differences', async () => {
    const c = { b: 1, t: 9, h: 2, p: 2, g: 1, n: 3 };
    const rng = makeRng(41);
    const x = randn(rng, 9 * 2 * 2);
    const a = randn(rng, 9 * 2);
    const B = randn(rng, 9 * 3, 0.6);
    const C = randn(rng, 9 * 3, 0.6);
    const w = randn(rng, 9 * 2 * 2);
    const f64 = (av: Float64Array) => weightedSum(ssdRecurrenceF64({ ...c, x, logA: av.map(negSoftplusF64), B, C }).y, w);
    const [ga] = tf.grads((at: tf.Tensor) =>
      ssdChunked(
        { x: tf.tensor(Float32Array.from(x), [1, 9, 2, 2]), logA: discreteLogDecay(at), B: tf.tensor(Float32Array.from(B), [1, 9, 1, 3]), C: tf.tensor(Float32Array.from(C), [1, 9, 1, 3]) },
        { chunk: 4 },
      )
        .y.mul(tf.tensor(Float32Array.from(w), [1, 9, 2, 2]))
        .sum(),
    )([tf.tensor(Float32Array.from(a), [1, 9, 2])]);
    expect(relErr(await host(ga), finiteDiffGrad(f64, a))).toBeLessThan(TOL);
  });
});
