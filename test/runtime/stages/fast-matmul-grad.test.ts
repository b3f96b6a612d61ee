/**
 * The MatMul gradient with explicit transposes (runtime/program/fast-matmul-grad.ts) against float64
 * gradients computed here, for every transpose combination, 2-D and batched.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFastMatMulGradient } from '../../../runtime/program/fast-matmul-grad.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';

beforeAll(async () => {
  registerFastMatMulGradient();
  await useBackend('wasm');
});

/** L = Σ w ⊙ (op(A)·op(B)) per batch; returns dL/dA and dL/dB in float64 (A, B stored as given). */
function reference(a: Float64Array, b: Float64Array, w: Float64Array, batch: number, m: number, k: number, n: number, ta: boolean, tb: boolean) {
  const A = (bi: number, i: number, j: number) => (ta ? a[bi * k * m + j * m + i] : a[bi * m * k + i * k + j]); // op(A)[i, j], i < m, j < k
  const B = (bi: number, i: number, j: number) => (tb ? b[bi * n * k + j * k + i] : b[bi * k * n + i * n + j]); // op(B)[i, j], i < k, j < n
  const ga = new Float64Array(a.length);
  const gb = new Float64Array(b.length);
  for (let bi = 0; bi < batch; bi++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        const g = w[bi * m * n + i * n + j];
        for (let p = 0; p < k; p++) {
          const da = g * B(bi, p, j);
          const db = g * A(bi, i, p);
          if (ta) ga[bi * k * m + p * m + i] += da;
          else ga[bi * m * k + i * k + p] += da;
          if (tb) gb[bi * n * k + j * k + p] += db;
          else gb[bi * k * n + p * n + j] += db;
        }
      }
  return { ga, gb };
}

describe('MatMul gradient with explicit transposes', () => {
  for (const batch of [0, 3])
    for (const ta of [false, true])
      for (const tb of [false, true])
        it(`${batch ? `batched (${batch})` : '2-D'}, transposeA=${ta}, transposeB=${tb}`, async () => {
          const [m, k, n] = [5, 7, 4];
          const nb = batch || 1;
          const rng = makeRng(100 + batch * 4 + (ta ? 2 : 0) + (tb ? 1 : 0));
          const a = randn(rng, nb * m * k);
          const b = randn(rng, nb * k * n);
          const w = randn(rng, nb * m * n);
          const shapeA = ta ? [k, m] : [m, k];
          const shapeB = tb ? [n, k] : [k, n];
          const A = tf.variable(tf.tensor(Float32Array.from(a), batch ? [batch, ...shapeA] : shapeA));
          const B = tf.variable(tf.tensor(Float32Array.from(b), batch ? [batch, ...shapeB] : shapeB));
          const W = tf.tensor(Float32Array.from(w), batch ? [batch, m, n] : [m, n]);
          const { grads } = tf.variableGrads(() => tf.matMul(A, B, ta, tb).mul(W).sum() as tf.Scalar, [A, B]);
          const ref = reference(a, b, w, nb, m, k, n, ta, tb);
          expect(relErr(await grads[A.name].data(), ref.ga)).toBeLessThan(1e-5);
          expect(relErr(await grads[B.name].data(), ref.gb)).toBeLessThan(1e-5);
        });
});

it('is the gradient tfjs uses once registered: the backward pass runs Transpose kernels', async () => {
  const A = tf.variable(tf.randomNormal([6, 4]));
  const B = tf.variable(tf.randomNormal([4, 3]));
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.matMul(A, B).sum() as tf.Scalar, [A, B]);
    return [value, ...Object.values(grads)] as unknown as tf.Tensor;
  });
  // The forward pass has no transpose; tfjs' own gradient would not add one either.
  expect(info.kernels.filter((k) => k.name === 'Transpose').length).toBe(2);
});
