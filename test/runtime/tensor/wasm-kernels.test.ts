/**
 * The replaced wasm kernels (runtime/tensor/wasm-kernels.ts): SplitV gives exactly the parts Slice gives, on
 * every axis and uneven sizes; MatMul with transposed operands equals a float64 product for all four flag
 * combinations (unbatched: the XNNPACK route; batched: the stock route), and its gradients equal the cpu
 * backend's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';

function matmulF64(a: Float64Array, b: Float64Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += (ta ? a[l * m + i] : a[i * k + l]) * (tb ? b[j * k + l] : b[l * n + j]);
      out[i * n + j] = s;
    }
  return out;
}

describe('replaced wasm kernels', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('SplitV: the same bytes as slicing, on each axis', async () => {
    const rng = makeRng(7);
    const x = tf.tensor(Float32Array.from(randn(rng, 5 * 6 * 7)), [5, 6, 7]);
    for (const [axis, sizes] of [[0, [2, 3]], [1, [1, 4, 1]], [2, [3, 4]]] as [number, number[]][]) {
      const parts = tf.split(x, sizes, axis);
      let begin = 0;
      for (const [i, part] of parts.entries()) {
        const b = [0, 0, 0];
        const size = [...x.shape];
        b[axis] = begin;
        size[axis] = sizes[i];
        expect(Buffer.from((await part.data()).buffer).equals(Buffer.from((await x.slice(b, size).data()).buffer))).toBe(true);
        begin += sizes[i];
      }
    }
  });

  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('MatMul transposeA=%s transposeB=%s equals float64, unbatched and batched', async (ta, tb) => {
    const rng = makeRng(ta ? (tb ? 11 : 12) : tb ? 13 : 14);
    const [m, k, n] = [37, 19, 23];
    const a = randn(rng, m * k);
    const b = randn(rng, k * n);
    const want = matmulF64(a, b, m, k, n, ta, tb);
    const aT = tf.tensor(Float32Array.from(a), ta ? [k, m] : [m, k]);
    const bT = tf.tensor(Float32Array.from(b), tb ? [n, k] : [k, n]);
    expect(relErr(await tf.matMul(aT, bT, ta, tb).data(), want)).toBeLessThan(1e-6);
    // A batch of two copies keeps the stock kernel: the same values per batch element.
    const got = await tf.matMul(tf.stack([aT, aT]), tf.stack([bT, bT]), ta, tb).data();
    expect(relErr(got.slice(0, m * n), want)).toBeLessThan(1e-6);
    expect(relErr(got.slice(m * n), want)).toBeLessThan(1e-6);
  });

  it('MatMul gradients with transposed operands equal the cpu backend', async () => {
    const rng = makeRng(21);
    const a = Float32Array.from(randn(rng, 12 * 9));
    const b = Float32Array.from(randn(rng, 7 * 9));
    const w = Float32Array.from(randn(rng, 12 * 7));
    const grads = async () => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, false, true).mul(tf.tensor(w, [12, 7])).sum())([tf.tensor(a, [12, 9]), tf.tensor(b, [7, 9])]);
      return Promise.all(g.map((t) => t.data()));
    };
    const onWasm = await grads();
    await useBackend('cpu');
    const onCpu = await grads();
    await useBackend('wasm');
    onWasm.forEach((g, i) => expect(relErr(g, onCpu[i])).toBeLessThan(1e-6));
  });
});
