/**
 * The short causal depthwise conv over [x | B | C], as pad + slice + mul + add: wasm has no conv1d or
 * depthwise backprop kernels (runtime-notes), and K is 4 so K shifted multiplies are cheap.
 *   out[t, c] = bias[c] + Σ_w W[w, c]·in[t + w − (K−1), c]   (tap K−1 reads the current token)
 * Inputs before position 0 come from `history` (a decode cache) or are zero. Resets: a tap that would read
 * across a packed-sequence boundary reads zero instead, as causal_conv1d does with seq_idx.
 */
import { tf } from '../tensor/backend.ts';

export interface ConvOptions {
  /** [b, K−1, C]: the inputs just before position 0. */
  history?: tf.Tensor;
  /** [b, T] 0/1: token starts a new sequence. */
  resets?: tf.Tensor;
}

/** xbc [b, T, C], weight [K, C] (compute layout), bias [C] → [b, T, C]. */
export function causalConv(xbc: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, opts: ConvOptions = {}): tf.Tensor {
  return tf.tidy(() => {
    const [b, t, c] = xbc.shape as number[];
    const k = weight.shape[0];
    const padded = opts.history
      ? tf.concat([opts.history, xbc], 1)
      : k > 1
        ? xbc.pad([[0, 0], [k - 1, 0], [0, 0]])
        : xbc;
    const masks = opts.resets ? tapMasks(opts.resets, k) : undefined;
    let out: tf.Tensor = bias.reshape([1, 1, c]);
    for (let w = 0; w < k; w++) {
      let tap = padded.slice([0, w, 0], [b, t, c]).mul(weight.slice([w, 0], [1, c]).reshape([1, 1, c]));
      if (masks && w < k - 1) tap = tap.mul(masks[w]);
      out = out.add(tap);
    }
    return out;
  });
}

/** Per tap w (lag K−1−w): [b, T, 1] with 1 where no reset lies in (t − lag, t]. Built from data only. */
function tapMasks(resets: tf.Tensor, k: number): tf.Tensor[] {
  const [b, t] = resets.shape as number[];
  const seg = tf.cumsum(resets.cast('float32'), 1); // resets seen so far
  const segPadded = seg.pad([[0, 0], [k - 1, 0]]); // the history belongs to the segment before the first reset
  const masks: tf.Tensor[] = [];
  for (let w = 0; w < k - 1; w++)
    masks.push(tf.equal(segPadded.slice([0, w], [b, t]), seg).cast('float32').reshape([b, t, 1]));
  return masks;
}

/**
 * One decode step. state [b, C, K] holds the last K inputs, oldest first (the Hugging Face layout).
 * Returns the conv output [b, C] and the new state.
 */
export function convStep(state: tf.Tensor, xbc: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): { out: tf.Tensor; state: tf.Tensor } {
  return tf.tidy(() => {
    const [b, c, k] = state.shape as number[];
    const next = tf.concat([state.slice([0, 0, 1], [b, c, k - 1]), xbc.reshape([b, c, 1])], 2);
    const out = next.mul(weight.transpose().reshape([1, c, k])).sum(2).add(bias);
    return { out, state: next };
  });
}

/** The last K inputs as a decode conv state [b, C, K], given the previous state (or zeros). */
export function convStateAfter(xbc: tf.Tensor, k: number, previous?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [b, t, c] = xbc.shape as number[];
    const prev = previous ?? tf.zeros([b, c, k]);
    const all = tf.concat([prev, xbc.transpose([0, 2, 1])], 2); // [b, C, K + T]
    return all.slice([0, 0, t], [b, c, k]);
  });
}
