/** The two decay parameterisations (method.md §5.1), both as log α ≤ 0 for the SSD core. */
import { tf } from '../tensor/backend.ts';

/** Discrete Mamba-2: log α = −softplus(a), i.e. α = sigmoid(−a). No Δ, input unscaled. */
export function discreteLogDecay(a: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.softplus(a).neg());
}

/**
 * Mamba-2: Δ = softplus(dt + dt_bias) [.., H], A = −exp(A_log) [H], log α = Δ·A; the input is scaled by Δ
 * (the caller multiplies x by the returned Δ).
 */
export function continuousDecay(dt: tf.Tensor, dtBias: tf.Tensor, aLog: tf.Tensor): { delta: tf.Tensor; logA: tf.Tensor } {
  return tf.tidy(() => {
    const delta = tf.softplus(dt.add(dtBias));
    return { delta, logA: delta.mul(tf.exp(aLog).neg()) };
  });
}
