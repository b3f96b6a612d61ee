/**
 * Additive attention mask for kept attention layers of a student trained on packed sequences: query t sees
 * key s when s ≤ t and no reset lies in (s, t] — the same cut the SSM layers make. Built from data only.
 */
import { MASKED } from '../models/blocks.ts';
import { tf } from '../tensor/backend.ts';

/** resets [B, T] (0/1) → [B, 1, T, T] with 0 where visible and MASKED elsewhere. */
export function packedCausalMask(resets: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t] = resets.shape as number[];
    const seg = tf.cumsum(resets.cast('float32'), 1); // sequence index of each token
    const same = tf.equal(seg.reshape([b, t, 1]), seg.reshape([b, 1, t]));
    const causal = tf.linalg.bandPart(tf.ones([t, t]), -1, 0).cast('bool');
    const visible = tf.logicalAnd(same, causal.reshape([1, t, t]));
    return tf.where(visible, tf.zeros([b, t, t]), tf.fill([b, t, t], MASKED)).reshape([b, 1, t, t]) as tf.Tensor4D;
  });
}
