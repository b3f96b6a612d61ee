/**
 * The two attention strategies (batched; per-sequence block-diagonal 2-D matMuls for wasm) against a float64
 * reference and against each other — values, probabilities and gradients — and the fast wasm Slice kernel
 * against the cpu backend's slice.
 */
import { describe, expect, it } from 'vitest';
import { attention, attentionBlockDiagonal, causalMask } from '../../../runtime/models/blocks.ts';
import { copySlice } from '../../../runtime/tensor/wasm-slice.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randn = (r: () => number, n: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * 1.5);

/** Float64 attention: q [B,Tq,H,hd] (time-major), k/v [B,KV,Tk,hd]; keys s ≤ t and s < len visible. */
function reference(q: Float32Array, k: Float32Array, v: Float32Array, B: number, T: number, H: number, KV: number, hd: number, lengths: number[]) {
  const rep = H / KV;
  const ctx = new Float64Array(B * T * H * hd);
  const probs = new Float64Array(B * H * T * T);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / rep);
      for (let t = 0; t < T; t++) {
        const s = new Float64Array(T).fill(-Infinity);
        for (let j = 0; j < T; j++) {
          if (j > t || j >= lengths[b]) continue;
          let dot = 0;
          for (let e = 0; e < hd; e++) dot += q[((b * T + t) * H + h) * hd + e] * k[((b * KV + g) * T + j) * hd + e];
          s[j] = dot;
        }
        const m = Math.max(...s);
        const ex = Array.from(s, (x) => Math.exp(x - m));
        const z = ex.reduce((a, c) => a + c);
        for (let j = 0; j < T; j++) {
          const p = ex[j] / z;
          probs[((b * H + h) * T + t) * T + j] = p;
          for (let e = 0; e < hd; e++) ctx[((b * T + t) * H + h) * hd + e] += p * v[((b * KV + g) * T + j) * hd + e];
        }
      }
    }
  return { ctx, probs };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.each(['wasm', 'cpu'] as const)('attention strategies on %s', (backend) => {
  for (const [H, KV] of [[8, 4], [4, 4], [6, 1]]) {
    it(`H=${H} KV=${KV}: both match float64, with a padding mask`, async () => {
      await useBackend(backend);
      const B = 3, T = 13, hd = 8;
      const r = rng(H * 100 + KV);
      const qd = randn(r, B * T * H * hd), kd = randn(r, B * KV * T * hd), vd = randn(r, B * KV * T * hd);
      const lengths = [13, 7, 1];
      const ref = reference(qd, kd, vd, B, T, H, KV, hd, lengths);
      const [bd, bt] = tf.tidy(() => {
        const q = tf.tensor4d(qd, [B, T, H, hd]);
        const k = tf.tensor4d(kd, [B, KV, T, hd]);
        const v = tf.tensor4d(vd, [B, KV, T, hd]);
        const mask = causalMask(T, lengths);
        const a = attentionBlockDiagonal(q, k, v, mask, true);
        const c = attention(q.transpose([0, 2, 1, 3]) as tf.Tensor4D, k, v, mask);
        return [
          [a.context, a.probs!],
          [c.context.transpose([0, 2, 1, 3]).reshape([B * T, H * hd]), c.probs],
        ];
      });
      for (const [ctx, probs] of [bd, bt]) {
        const cd = await ctx.data();
        const pd = await probs.data();
        // Rows of padded queries are not defined by the reference's masking alone; compare valid rows.
        for (let b = 0; b < B; b++)
          for (let t = 0; t < lengths[b]; t++) {
            const o = (b * T + t) * H * hd;
            expect(maxDiff(cd.subarray(o, o + H * hd), ref.ctx.subarray(o, o + H * hd))).toBeLessThan(2e-6);
            for (let h = 0; h < H; h++) {
              const po = ((b * H + h) * T + t) * T;
              expect(maxDiff(pd.subarray(po, po + T), ref.probs.subarray(po, po + T))).toBeLessThan(1e-6);
            }
          }
      }
      tf.dispose([...bd, ...bt]);
    });
  }

  it('gradients agree between the strategies', async () => {
    await useBackend(backend);
    const B = 2, T = 9, H = 4, KV = 2, hd = 8;
    const r = rng(77);
    const q = tf.variable(tf.tensor4d(randn(r, B * T * H * hd), [B, T, H, hd]));
    const k = tf.variable(tf.tensor4d(randn(r, B * KV * T * hd), [B, KV, T, hd]));
    const v = tf.variable(tf.tensor4d(randn(r, B * KV * T * hd), [B, KV, T, hd]));
    const w = tf.tensor2d(randn(r, B * T * H * hd), [B * T, H * hd]);
    const mask = causalMask(T);
    const loss = (bd: boolean) => () =>
      (bd
        ? attentionBlockDiagonal(q, k, v, mask, false).context
        : attention(q.transpose([0, 2, 1, 3]) as tf.Tensor4D, k, v, mask).context.transpose([0, 2, 1, 3]).reshape([B * T, H * hd])
      )
        .mul(w)
        .sum() as tf.Scalar;
    const g1 = tf.variableGrads(loss(true));
    const g2 = tf.variableGrads(loss(false));
    for (const name of [q.name, k.name, v.name]) expect(maxDiff(await g1.grads[name].data(), await g2.grads[name].data())).toBeLessThan(1e-5);
    tf.dispose([q, k, v, w, mask, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
  });
});

describe('fast wasm slice', () => {
  it('copies the same boxes as tf.slice on cpu', async () => {
    await useBackend('cpu');
    const r = rng(5);
    for (let trial = 0; trial < 200; trial++) {
      const rank = 1 + Math.floor(r() * 5);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 5));
      const begin = shape.map((d) => Math.floor(r() * d));
      const size = shape.map((d, i) => (r() < 0.3 ? d - begin[i] : Math.floor(r() * (d - begin[i] + 1))));
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => i);
      const want = await tf.slice(tf.tensor(data, shape), begin, size).data();
      const got = new Float32Array(size.reduce((a, b) => a * b, 1));
      copySlice(data, shape, got, begin, size);
      expect(Array.from(got), `shape ${shape} begin ${begin} size ${size}`).toEqual(Array.from(want));
    }
  });
  it('is what tf.slice runs on wasm once attention has installed it', async () => {
    await useBackend('wasm');
    const { useFastWasmSlice } = await import('../../../runtime/tensor/wasm-slice.ts');
    useFastWasmSlice();
    const x = tf.tensor3d(Float32Array.from({ length: 60 }, (_, i) => i), [3, 4, 5]);
    expect(Array.from(await x.slice([1, 1, 2], [2, 2, 3]).data())).toEqual([27, 28, 29, 32, 33, 34, 47, 48, 49, 52, 53, 54]);
    x.dispose();
  });
});
