/**
 * The MatMul gradient (runtime/program/fast-matmul-grad.ts) takes some 2-D products as (op(y)ᵀ·op(x)ᵀ)ᵀ when
 * that transposes fewer values: lopsided shapes (a long, thin one-hot-like operand against a wide output)
 * make it choose that form; the gradients must still equal float64, for all four flag combinations.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFastMatMulGradient } from '../../../runtime/program/fast-matmul-grad.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { makeRng, randn, relErr } from '../../helpers/reference/random.ts';

beforeAll(async () => {
  registerFastMatMulGradient();
  await useBackend('wasm');
});

describe('MatMul gradient on lopsided 2-D shapes', () => {
  it.each([
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ])('transposeA=%s transposeB=%s equals float64', async (ta, tb) => {
    const [m, k, n] = [97, 3, 41]; // op(A) [m,k], op(B) [k,n]: transposing the [m,n]-sized sides costs most
    const rng = makeRng(200 + (ta ? 2 : 0) + (tb ? 1 : 0));
    const a = randn(rng, m * k);
    const b = randn(rng, k * n);
    const w = randn(rng, m * n);
    const A = tf.variable(tf.tensor(Float32Array.from(a), ta ? [k, m] : [m, k]));
    const B = tf.variable(tf.tensor(Float32Array.from(b), tb ? [n, k] : [k, n]));
    const { grads } = tf.variableGrads(() => tf.matMul(A, B, ta, tb).mul(tf.tensor(Float32Array.from(w), [m, n])).sum() as tf.Scalar, [A, B]);
    const opA = (i: number, p: number) => (ta ? a[p * m + i] : a[i * k + p]);
    const opB = (p: number, j: number) => (tb ? b[j * k + p] : b[p * n + j]);
    const ga = new Float64Array(a.length);
    const gb = new Float64Array(b.length);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++)
        for (let p = 0; p < k; p++) {
          ga[ta ? p * m + i : i * k + p] += w[i * n + j] * opB(p, j);
          gb[tb ? j * k + p : p * n + j] += w[i * n + j] * opA(i, p);
        }
    expect(relErr(await grads[A.name].data(), ga)).toBeLessThan(1e-5);
    expect(relErr(await grads[B.name].data(), gb)).toBeLessThan(1e-5);
  });
});
