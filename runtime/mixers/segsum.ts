/**
 * The stable segment sum (method.md §1.4, §5.2): L[..., i, j] = exp(Σ_{k=j+1..i} ℓ_k) for j ≤ i, else 0.
 * Each entry is the exact sum of its own terms (a masked cumulative sum), never the difference of two long
 * cumulative sums, which would lose the small per-token decays to cancellation in float32.
 * The masks are constants built once per (backend, length), outside any gradient closure.
 */
import { tf } from '../tensor/backend.ts';

const masks = new Map<string, { strict: tf.Tensor2D; lower: tf.Tensor2D }>();

function triMasks(t: number): { strict: tf.Tensor2D; lower: tf.Tensor2D } {
  const key = `${tf.getBackend()}:${t}`;
  let m = masks.get(key);
  if (!m) {
    const strict = new Float32Array(t * t);
    const lower = new Float32Array(t * t);
    for (let i = 0; i < t; i++)
      for (let j = 0; j <= i; j++) {
        lower[i * t + j] = 1;
        if (j < i) strict[i * t + j] = 1;
      }
    m = { strict: tf.keep(tf.tensor2d(strict, [t, t])), lower: tf.keep(tf.tensor2d(lower, [t, t])) };
    masks.set(key, m);
  }
  return m;
}

/** [..., T] → [..., T, T] decay matrix, lower-triangular including the diagonal (which is 1). */
export function decayMatrix(logA: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = logA.shape[logA.rank - 1];
    const { strict, lower } = triMasks(t);
    // rep[..., i, j] = ℓ_i for i > j, else 0; a cumulative sum down i then gives Σ_{k=j+1..i} ℓ_k.
    const rep = logA.expandDims(-1).mul(strict);
    const seg = tf.cumsum(rep, logA.rank - 1);
    return tf.exp(seg).mul(lower);
  });
}
