/**
 * The generated WGSL kernels as tfjs-webgpu kernels (lavapipe in CI): forward values and gradients against
 * the float64 references and against the tfjs reference forms of runtime/mixers on the same inputs, and a
 * training loop whose forward and backward provably run the generated passes (dispatch counters).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import KERNELS from '../../generated/kernels/dispatch.ts';
import { continuousDecay, discreteLogDecay } from '../../runtime/mixers/decay.ts';
import { ssdChunked } from '../../runtime/mixers/ssd-chunked.ts';
import { getVariant, registerKernelTable } from '../../runtime/kernels/registry.ts';
import type { KernelEntry } from '../../runtime/kernels/table.ts';
import { kernelDispatchCounts, materializeKernel, resetKernelDispatchCounts, ssdKernelForward, stepKernel, webGpuKernelsFor } from '../../runtime/kernels/tfjs-webgpu.ts';
import { tf, useBackend } from '../../runtime/tensor/backend.ts';
import { makeRng, randn, relErr } from '../helpers/reference/random.ts';
import { emitTemp } from './helpers/emit-temp.ts';
import { randomInputs } from './helpers/cases.ts';
import { type RawInputs, backwardRef, forwardRef, materializeBackwardRef, materializeRef, stepRef } from './reference.ts';

const T32 = (a: Float64Array, shape: number[]) => tf.tensor(Float32Array.from(a), shape);
const host = async (t: tf.Tensor) => Float64Array.from(await t.data());

function tensors(inp: RawInputs) {
  const { b, t, h, p, g, n } = inp;
  return {
    x: T32(inp.x, [b, t, h, p]),
    dec: T32(inp.dec, [b, t, h]),
    B: T32(inp.B, [b, t, g, n]),
    C: T32(inp.C, [b, t, g, n]),
    D: T32(inp.hp.subarray(0, h), [h]),
    dtBias: T32(inp.hp.subarray(h, 2 * h), [h]),
    aLog: T32(inp.hp.subarray(2 * h), [h]),
    s0: T32(inp.s0!, [b, h, p, n]),
  };
}

/** The tfjs reference form (runtime/mixers): decay in tfjs, the chunked SSD core, then + D·x. */
function referenceForm(e: KernelEntry, v: ReturnType<typeof tensors>, chunk: number) {
  let x = v.x;
  let logA: tf.Tensor;
  if (e.decay === 'discrete') logA = discreteLogDecay(v.dec);
  else {
    const c = continuousDecay(v.dec, v.dtBias, v.aLog);
    logA = c.logA;
    x = v.x.mul(c.delta.expandDims(3));
  }
  const r = ssdChunked({ x, logA, B: v.B, C: v.C }, { chunk, initialState: v.s0 });
  return { y: r.y.add(v.x.mul(v.D.reshape([1, 1, -1, 1]))), finalState: r.finalState };
}

async function checkForwardAndGrads(fwd: KernelEntry, bwd: KernelEntry, b: number, t: number, seed: number) {
  const inp = randomInputs(fwd, b, t, seed, true);
  const v = tensors(inp);
  const rng = makeRng(seed + 7);
  const wy = randn(rng, b * t * fwd.h * fwd.p);
  const ws = randn(rng, b * fwd.h * fwd.p * fwd.n);
  const wyT = T32(wy, [b, t, fwd.h, fwd.p]);
  const wsT = T32(ws, [b, fwd.h, fwd.p, fwd.n]);
  const params = fwd.decay === 'continuous' ? [v.x, v.dec, v.B, v.C, v.D, v.dtBias, v.aLog, v.s0] : [v.x, v.dec, v.B, v.C, v.D, v.s0];
  const loss = (form: 'kernel' | 'reference') => (...ps: tf.Tensor[]) => {
    const [x, dec, B, C, D] = ps;
    const cont = fwd.decay === 'continuous';
    const s0 = ps[ps.length - 1];
    const r =
      form === 'kernel'
        ? ssdKernelForward(fwd, bwd, { x, dec, B, C, D, dtBias: cont ? ps[5] : undefined, aLog: cont ? ps[6] : undefined, initialState: s0 })
        : referenceForm(fwd, { ...v, x, dec, B, C, D, dtBias: cont ? ps[5] : v.dtBias, aLog: cont ? ps[6] : v.aLog, s0 }, fwd.q);
    return r.y.mul(wyT).sum().add(r.finalState.mul(wsT).sum()) as tf.Scalar;
  };
  // Forward values.
  const kr = ssdKernelForward(fwd, bwd, { ...v, initialState: v.s0 });
  const rr = referenceForm(fwd, v, fwd.q);
  const ref = forwardRef(inp);
  expect(relErr(await host(kr.y), ref.y)).toBeLessThan(1e-5);
  expect(relErr(await host(kr.finalState), ref.finalState)).toBeLessThan(1e-5);
  expect(relErr(await host(kr.y), await host(rr.y))).toBeLessThan(1e-5);
  expect(relErr(await host(kr.finalState), await host(rr.finalState))).toBeLessThan(1e-5);
  // Gradients: the kernels' backward against float64 and against autograd through the tfjs form.
  const gk = tf.grads(loss('kernel'))(params);
  const gr = tf.grads(loss('reference'))(params);
  const g = backwardRef(inp, wy, ws);
  const h = fwd.h;
  const want = [g.dx, g.ddec, g.dB, g.dC, g.dD];
  if (fwd.decay === 'continuous') {
    const dtb = new Float64Array(h);
    const alog = new Float64Array(h);
    for (let i = 0; i < g.ddec.length; i++) {
      dtb[i % h] += g.ddec[i];
      alog[i % h] += g.dAlogPart[i];
    }
    want.push(dtb, alog);
  }
  want.push(g.dS0);
  for (let i = 0; i < want.length; i++) {
    const k = await host(gk[i]);
    expect(relErr(k, want[i]), `gradient ${i} vs float64`).toBeLessThan(1e-5);
    expect(relErr(k, await host(gr[i])), `gradient ${i} vs the tfjs form`).toBeLessThan(1e-4);
  }
}

describe('generated WGSL kernels as tfjs-webgpu kernels', () => {
  beforeAll(async () => {
    await useBackend('webgpu');
  });
  afterAll(() => registerKernelTable(KERNELS));

  it('stories260K shape (committed variants): forward and gradients', async () => {
    registerKernelTable(KERNELS);
    await checkForwardAndGrads(getVariant('ssd_fwd_discrete_n8_p8_h8_g8_q64_f32'), getVariant('ssd_bwd_discrete_n8_p8_h8_g8_q64_f32'), 2, 99, 3);
  });

  it('groups < heads and Mamba-2 decay (emitted for the test): forward and gradients', async () => {
    const keys = ['ssd_fwd_continuous_n8_p4_h4_g2_q16_f32', 'ssd_bwd_continuous_n8_p4_h4_g2_q16_f32'];
    emitTemp(keys, ['wgsl']);
    await checkForwardAndGrads(getVariant(keys[0]), getVariant(keys[1]), 2, 37, 5);
    registerKernelTable(KERNELS);
  });

  it('materialised matrix and its gradient, and one decode step', async () => {
    registerKernelTable(KERNELS);
    const e = getVariant('ssd_materialize_discrete_n8_p8_h8_g8_q64_f32');
    const [b, t] = [2, 40];
    const inp = randomInputs(e, b, t, 11, true);
    const v = tensors(inp);
    const W = randn(makeRng(12), b * e.h * t * t);
    const WT = T32(W, [b, e.h, t, t]);
    const M = materializeKernel(e, v);
    expect(relErr(await host(M), materializeRef(inp))).toBeLessThan(1e-5);
    const grads = tf.grads((dec: tf.Tensor, B: tf.Tensor, C: tf.Tensor, D: tf.Tensor) => materializeKernel(e, { dec, B, C, D }).mul(WT).sum() as tf.Scalar)([v.dec, v.B, v.C, v.D]);
    const g = materializeBackwardRef(inp, W);
    for (const [i, want] of [g.ddec, g.dB, g.dC, g.dD].entries()) expect(relErr(await host(grads[i]), want), `matrix gradient ${i}`).toBeLessThan(1e-5);
    const s = getVariant('ssd_step_discrete_n8_p8_h8_g8_q64_f32');
    const pick = (a: Float64Array, w: number) => {
      const o = new Float64Array(b * w);
      for (let bi = 0; bi < b; bi++) o.set(a.subarray(bi * t * w, bi * t * w + w), bi * w);
      return o;
    };
    const one = { decay: s.decay, b, h: s.h, p: s.p, g: s.g, n: s.n, state: inp.s0!, x: pick(inp.x, s.h * s.p), dec: pick(inp.dec, s.h), B: pick(inp.B, s.g * s.n), C: pick(inp.C, s.g * s.n), hp: inp.hp };
    const r = stepKernel(s, {
      state: T32(one.state, [b, s.h, s.p, s.n]),
      x: T32(one.x, [b, s.h, s.p]),
      dec: T32(one.dec, [b, s.h]),
      B: T32(one.B, [b, s.g, s.n]),
      C: T32(one.C, [b, s.g, s.n]),
      D: v.D,
    });
    const ref = stepRef(one);
    expect(relErr(await host(r.state), ref.state)).toBeLessThan(1e-5);
    expect(relErr(await host(r.y), ref.y)).toBeLessThan(1e-5);
  });

  it('training on webgpu runs the generated forward and backward passes', async () => {
    registerKernelTable(KERNELS);
    const shape = { decay: 'discrete' as const, n: 8, p: 8, h: 8, g: 8, q: 64 };
    const k = webGpuKernelsFor(shape);
    expect(k?.bwd).toBeDefined();
    const [b, t, d] = [2, 70, 16];
    const rng = makeRng(21);
    const u = T32(randn(rng, b * t * d), [b * t, d]);
    const target = T32(randn(rng, b * t * 64), [b, t, 8, 8]);
    const proj = (rows: number) => tf.variable(T32(randn(rng, d * rows, 1 / Math.sqrt(d)), [d, rows]));
    const [wx, wa, wb, wc] = [proj(64), proj(8), proj(64), proj(64)];
    const D = tf.variable(tf.ones([8]));
    const lossFn = () =>
      tf.tidy(() => {
        const y = ssdKernelForward(k!.fwd, k!.bwd, {
          x: u.matMul(wx).reshape([b, t, 8, 8]),
          dec: u.matMul(wa).reshape([b, t, 8]),
          B: u.matMul(wb).reshape([b, t, 8, 8]),
          C: u.matMul(wc).reshape([b, t, 8, 8]),
          D,
        }).y;
        return y.sub(target).square().mean() as tf.Scalar;
      });
    const opt = tf.train.adam(1e-2);
    resetKernelDispatchCounts();
    const first = (await lossFn().data())[0];
    let last = first;
    for (let i = 0; i < 6; i++) {
      const l = opt.minimize(lossFn, true) as tf.Scalar;
      last = (await l.data())[0];
      l.dispose();
    }
    const counts = kernelDispatchCounts();
    const fwdKey = k!.fwd.key;
    const bwdKey = k!.bwd!.key;
    // 1 + 6 forwards, 6 backwards: every pass of each op ran through tfjs-webgpu.
    for (const p of ['chunk_state', 'state_pass', 'chunk_scan']) expect(counts[`${fwdKey}/${p}`], p).toBe(7);
    for (const p of ['chunk_state', 'state_pass', 'rev_chunk_state', 'rev_state_pass', 'bwd_main']) expect(counts[`${bwdKey}/${p}`], p).toBe(6);
    expect(last).toBeLessThan(first);
  });
});
