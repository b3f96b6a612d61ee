/**
 * Cumulative sum along the last axis of a [rows, T] tensor that is right, forward and backward, on every
 * backend. Two tfjs traps (4.22) make the plain op unsafe here:
 *  - its gradient is only right along the last axis given as a non-negative index (elsewhere it is transposed:
 *    silently wrong for square tensors; axis −1 throws);
 *  - on webgpu, `reverse: true` is wrong for T > 8 — and the gradient of a FORWARD cumsum is a reverse cumsum,
 *    so every cumsum gradient there is wrong too.
 * On webgpu the reverse direction is therefore computed as reverse → forward cumsum → reverse, and the gradient
 * is supplied the same way (d forward-cumsum = reverse-cumsum of dy, and vice versa; exclusive stays exclusive).
 */
import { tf } from '../tensor/backend.ts';

function forward(x: tf.Tensor, exclusive: boolean): tf.Tensor {
  return tf.cumsum(x, 1, exclusive, false);
}

function backward(x: tf.Tensor, exclusive: boolean): tf.Tensor {
  return tf.reverse(tf.cumsum(tf.reverse(x, 1), 1, exclusive, false), 1);
}

const gpuSafe = new Map<string, (x: tf.Tensor) => tf.Tensor>();

function gpuSafeCumsum(exclusive: boolean, reverse: boolean): (x: tf.Tensor) => tf.Tensor {
  const key = `${exclusive}:${reverse}`;
  let f = gpuSafe.get(key);
  if (!f) {
    const g = tf.customGrad(((x: tf.Tensor) => ({
      value: reverse ? backward(x, exclusive) : forward(x, exclusive),
      gradFunc: (dy: tf.Tensor) => (reverse ? forward(dy, exclusive) : backward(dy, exclusive)),
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    f = (x: tf.Tensor) => g(x) as tf.Tensor;
    gpuSafe.set(key, f);
  }
  return f;
}

/** Cumulative sum along the last axis of a rank-2 tensor [rows, T]. */
export function cumsumLast(x: tf.Tensor, opts: { exclusive?: boolean; reverse?: boolean } = {}): tf.Tensor {
  const exclusive = opts.exclusive ?? false;
  const reverse = opts.reverse ?? false;
  if (x.rank !== 2) throw new Error(`cumsumLast: expected a [rows, T] tensor, got shape [${x.shape}]`);
  if (tf.getBackend() === 'webgpu') return gpuSafeCumsum(exclusive, reverse)(x);
  return tf.cumsum(x, 1, exclusive, reverse);
}
