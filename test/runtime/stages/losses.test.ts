/**
 * The three objectives against float64 references written here from method.md §1.6 (unsquared Frobenius per
 * (batch, head) and L2 per token, soft-label CE with the student alone scaled by τ), their gradients against
 * hand-derived float64 gradients, and the zero-difference case that must not make NaN.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { alignmentLoss, distillationLoss, frobeniusLoss, norm } from '../../../runtime/stages/losses.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

const f32 = (a: Float64Array) => Float32Array.from(a);

describe('stage 1: Frobenius distance', () => {
  it('is the unsquared norm per (batch, head), averaged — float64 reference and gradient', async () => {
    const [B, H, T] = [3, 4, 7];
    const rng = makeRng(11);
    const m = randn(rng, B * H * T * T);
    const a = randn(rng, B * H * T * T);
    let ref = 0;
    const grad = new Float64Array(m.length);
    for (let bh = 0; bh < B * H; bh++) {
      let s = 0;
      for (let i = 0; i < T * T; i++) s += (m[bh * T * T + i] - a[bh * T * T + i]) ** 2;
      const n = Math.sqrt(s);
      ref += n / (B * H);
      for (let i = 0; i < T * T; i++) grad[bh * T * T + i] = (m[bh * T * T + i] - a[bh * T * T + i]) / n / (B * H);
    }
    const M = tf.variable(tf.tensor4d(f32(m), [B, H, T, T]));
    const A = tf.tensor4d(f32(a), [B, H, T, T]);
    const { value, grads } = tf.variableGrads(() => frobeniusLoss(M as unknown as tf.Tensor4D, A), [M]);
    expect(Math.abs((await value.data())[0] - ref) / ref).toBeLessThan(1e-6);
    expect(relErr(await grads[M.name].data(), grad)).toBeLessThan(1e-5);
  });

  it('refuses matrices of different shapes', () => {
    expect(() => frobeniusLoss(tf.zeros([1, 2, 3, 3]) as tf.Tensor4D, tf.zeros([1, 4, 3, 3]) as tf.Tensor4D)).toThrow(/\[1,2,3,3\].*\[1,4,3,3\]/);
  });
});

describe('stage 2: L2 alignment', () => {
  it('is the unsquared norm over the hidden dim, mean over tokens — float64 reference and gradient', async () => {
    const [B, T, D] = [2, 5, 16];
    const rng = makeRng(12);
    const y = randn(rng, B * T * D);
    const t = randn(rng, B * T * D);
    let ref = 0;
    const grad = new Float64Array(y.length);
    for (let r = 0; r < B * T; r++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += (y[r * D + d] - t[r * D + d]) ** 2;
      const n = Math.sqrt(s);
      ref += n / (B * T);
      for (let d = 0; d < D; d++) grad[r * D + d] = (y[r * D + d] - t[r * D + d]) / n / (B * T);
    }
    const Y = tf.variable(tf.tensor3d(f32(y), [B, T, D]));
    const { value, grads } = tf.variableGrads(() => alignmentLoss(Y as unknown as tf.Tensor3D, tf.tensor3d(f32(t), [B, T, D])), [Y]);
    expect(Math.abs((await value.data())[0] - ref) / ref).toBeLessThan(1e-6);
    expect(relErr(await grads[Y.name].data(), grad)).toBeLessThan(1e-5);
  });

  it('has gradient 0, not NaN, where the difference is exactly zero (a kept attention layer)', async () => {
    const rng = makeRng(13);
    const y = f32(randn(rng, 2 * 3 * 8));
    const t = Float32Array.from(y);
    for (let d = 0; d < 8; d++) t[8 + d] += 0.5; // row 1 differs, the others are equal
    const Y = tf.variable(tf.tensor3d(y, [2, 3, 8]));
    const { value, grads } = tf.variableGrads(() => alignmentLoss(Y as unknown as tf.Tensor3D, tf.tensor3d(t, [2, 3, 8])), [Y]);
    const g = await grads[Y.name].data();
    expect([...g].every(Number.isFinite)).toBe(true);
    expect((await value.data())[0]).toBeCloseTo(Math.sqrt(8 * 0.25) / 6, 6);
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(i >= 8 && i < 16 ? -(0.5 / Math.sqrt(2)) / 6 : 0, 6);
  });

  it('norm() of an all-zero input: value 0 and gradient 0', async () => {
    const x = tf.variable(tf.zeros([4, 5]));
    const { value, grads } = tf.variableGrads(() => norm(x).sum() as tf.Scalar, [x]);
    expect((await value.data())[0]).toBe(0);
    expect([...(await grads[x.name].data())]).toEqual(new Array(20).fill(0));
  });
});

describe('stage 3: distillation', () => {
  const N = 6;
  const V = 11;
  function reference(z: Float64Array, p: Float64Array, targets: number[], tau: number, w: number, kl: boolean) {
    let loss = 0;
    const grad = new Float64Array(z.length);
    for (let n = 0; n < N; n++) {
      const row = (i: number) => z[n * V + i] / tau;
      let mx = -Infinity;
      for (let i = 0; i < V; i++) mx = Math.max(mx, row(i));
      let s = 0;
      for (let i = 0; i < V; i++) s += Math.exp(row(i) - mx);
      const logq = (i: number) => row(i) - mx - Math.log(s);
      const zr = (i: number) => z[n * V + i];
      let mx1 = -Infinity;
      for (let i = 0; i < V; i++) mx1 = Math.max(mx1, zr(i));
      let s1 = 0;
      for (let i = 0; i < V; i++) s1 += Math.exp(zr(i) - mx1);
      const logp1 = (i: number) => zr(i) - mx1 - Math.log(s1);
      let soft = 0;
      let ent = 0;
      for (let i = 0; i < V; i++) {
        soft -= p[n * V + i] * logq(i);
        ent -= p[n * V + i] > 0 ? p[n * V + i] * Math.log(p[n * V + i]) : 0;
      }
      loss += ((1 - w) * (soft - (kl ? ent : 0)) - w * logp1(targets[n])) / N;
      for (let i = 0; i < V; i++) {
        const q = Math.exp(logq(i));
        const q1 = Math.exp(logp1(i));
        grad[n * V + i] = ((1 - w) * (q - p[n * V + i])) / tau / N + (w * (q1 - (i === targets[n] ? 1 : 0))) / N;
      }
    }
    return { loss, grad };
  }

  for (const [tau, w, kind] of [
    [1, 0, 'soft_ce'],
    [2, 0, 'soft_ce'],
    [1, 0.3, 'soft_ce'],
    [1.5, 0.25, 'kl'],
  ] as const) {
    it(`${kind}, τ = ${tau}, hard-label weight ${w}: float64 value and gradient`, async () => {
      const rng = makeRng(20 + tau * 10 + w * 100);
      const z = randn(rng, N * V, 2);
      const pl = randn(rng, N * V, 2);
      const p = new Float64Array(N * V);
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let i = 0; i < V; i++) s += Math.exp(pl[n * V + i]);
        for (let i = 0; i < V; i++) p[n * V + i] = Math.exp(pl[n * V + i]) / s;
      }
      const targets = Array.from({ length: N }, () => Math.floor(rng.uniform() * V));
      const ref = reference(z, p, targets, tau, w, kind === 'kl');
      const Z = tf.variable(tf.tensor2d(f32(z), [N, V]));
      const P = tf.tensor2d(f32(p), [N, V]);
      const tgt = tf.tensor1d(targets, 'int32');
      const { value, grads } = tf.variableGrads(
        () => distillationLoss(Z as unknown as tf.Tensor2D, P, tgt, { temperature: tau, hardLabelWeight: w, kind }),
        [Z],
      );
      expect(Math.abs((await value.data())[0] - ref.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref.loss)));
      expect(relErr(await grads[Z.name].data(), ref.grad)).toBeLessThan(1e-5);
    });
  }

  it('kl of a student equal to its teacher is 0, soft_ce is the teacher entropy', async () => {
    const rng = makeRng(5);
    const z = f32(randn(rng, N * V));
    const logits = tf.tensor2d(z, [N, V]);
    const p = tf.softmax(logits) as tf.Tensor2D;
    const kl = (await distillationLoss(logits, p, undefined, { kind: 'kl' }).data())[0];
    const ce = (await distillationLoss(logits, p, undefined).data())[0];
    const pd = await p.data();
    let ent = 0;
    for (let i = 0; i < pd.length; i++) ent -= (pd[i] * Math.log(pd[i])) / N;
    expect(Math.abs(kl)).toBeLessThan(1e-6);
    expect(ce).toBeCloseTo(ent, 5);
  });
});
