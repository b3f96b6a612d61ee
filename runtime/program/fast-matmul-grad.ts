/**
 * The gradient of MatMul with explicit transposes. tfjs' own gradient asks for transposed products
 * (dA = dy·Bᵀ as matMul(dy, B, false, true), dB = Aᵀ·dy as matMul(A, dy, true, false)), which the wasm
 * backend runs on its slow generic path (~1.8 GFLOP/s) instead of XNNPACK's 2-D kernel (~25 GFLOP/s):
 * measured on the CI machine, [2048,172]·[64,172]ᵀ took 47 ms that way and 4.8 ms as
 * matMul(dy, transpose(B)); Aᵀ·dy 43 ms vs 7.3 ms. The transposes themselves are cheap copies.
 *
 * Same values as tfjs' gradient up to float summation order. Registered once, globally, when a program runs
 * (runtime/program/run-program.ts); it belongs in runtime/tensor/backend.ts (requested from its owner).
 */
import { tf } from '../tensor/backend.ts';

let registered = false;

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return x.transpose(perm);
}

/**
 * matMul(x, y, tx, ty) with the transposes done as separate ops. For 2-D operands the product may instead be
 * taken as (op(y)ᵀ·op(x)ᵀ)ᵀ when that moves fewer values through transposes: the embedding gradients of a
 * one-hot input ([2048,512]ᵀ·[2048,64]) or a tied head (dyᵀ·x with dy [2048,512]) transposed 1 M values
 * (~14 ms on wasm) where transposing the [2048,64] side and the [64,512] result moves 0.16 M.
 */
function mm(x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor {
  if (x.rank === 2 && y.rank === 2) {
    const [xr, xc] = x.shape as [number, number];
    const [yr, yc] = y.shape as [number, number];
    const out = (tx ? xc : xr) * (ty ? yr : yc);
    const direct = (tx ? x.size : 0) + (ty ? y.size : 0);
    const flipped = (tx ? 0 : x.size) + (ty ? 0 : y.size) + out;
    if (flipped < direct) return swapLast(tf.matMul(ty ? y : swapLast(y), tx ? x : swapLast(x)));
  }
  return tf.matMul(tx ? swapLast(x) : x, ty ? swapLast(y) : y);
}

export function registerFastMatMulGradient(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const d = dy as tf.Tensor;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return { a: () => mm(d, b, false, true), b: () => mm(a, d, true, false) };
      if (!transposeA && transposeB) return { a: () => mm(d, b, false, false), b: () => mm(d, a, true, false) };
      if (transposeA && !transposeB) return { a: () => mm(b, d, false, true), b: () => mm(a, d, false, false) };
      return { a: () => mm(b, d, true, true), b: () => mm(d, a, true, true) };
    },
  });
}
