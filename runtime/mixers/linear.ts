/**
 * x [N, in] · w [in, out] whose gradient also runs as 2-D NON-transposed matMuls. tfjs' own matMul gradient
 * uses transposed operands (dX = dY·Wᵀ, dW = Xᵀ·dY), which on wasm leave the fast XNNPACK path (~25 →
 * ~1.8 GFLOP/s, runtime-notes); transposing the operands explicitly first is cheap. Measured on wasm for
 * [2048, 64] · [64, 264] forward + backward: 85 → 17 ms CPU (docs/students.md). Same values up to float
 * rounding order.
 */
import { tf } from '../tensor/backend.ts';

const fastLinear = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, ws.transpose()), tf.matMul(xs.transpose(), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

export function linear(x: tf.Tensor, w: tf.Tensor): tf.Tensor2D {
  return fastLinear(x, w) as tf.Tensor2D;
}
