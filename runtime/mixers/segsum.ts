/**
 * The stable segment sum (method.md §1.4, §5.2): L[..., i, j] = exp(Σ_{k=j+1..i} ℓ_k) for j ≤ i, else 0.
 * Each entry is the exact sum of its own terms (a masked cumulative sum), never the difference of two long
 * cumulative sums, which would lose the small per-token decays to cancellation in float32.
 * The masks are constants built once per (backend, length), outside any gradient closure.
 *
 * The sums run along the last axis through cumsum.ts (tfjs' own cumsum has wrong gradients elsewhere, and a
 * wrong reverse mode on webgpu): a forward sum gives Lᵀ (used through transposed matMuls), a reverse
 * exclusive sum gives L itself.
 */
import { tf } from '../tensor/backend.ts';
import { cumsumLast } from './cumsum.ts';

interface Masks {
  strictUpper: tf.Tensor2D;
  upper: tf.Tensor2D;
  lower: tf.Tensor2D;
}
const masks = new Map<string, Masks>();

function triMasks(t: number): Masks {
  const key = `${tf.getBackend()}:${t}`;
  let m = masks.get(key);
  if (!m) {
    const strictUpper = new Float32Array(t * t);
    const upper = new Float32Array(t * t);
    const lower = new Float32Array(t * t);
    for (let j = 0; j < t; j++)
      for (let i = j; i < t; i++) {
        upper[j * t + i] = 1;
        lower[i * t + j] = 1;
        if (i > j) strictUpper[j * t + i] = 1;
      }
    const keep = (a: Float32Array) => tf.keep(tf.tensor2d(a, [t, t]));
    m = { strictUpper: keep(strictUpper), upper: keep(upper), lower: keep(lower) };
    masks.set(key, m);
  }
  return m;
}

/** [..., T] → Lᵀ [..., T(j), T(i)]: upper-triangular including the diagonal (which is 1). */
export function decayMatrixT(logA: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = logA.shape[logA.rank - 1];
    const { strictUpper, upper } = triMasks(t);
    // rep[..., j, i] = ℓ_i for i > j, else 0; a cumulative sum along i gives Σ_{k=j+1..i} ℓ_k.
    const rep = flat(logA).expandDims(1).mul(strictUpper).reshape([-1, t]);
    const seg = cumsumLast(rep);
    return tf.exp(seg).reshape([...logA.shape, t]).mul(upper);
  });
}

/** [..., T] → L [..., T(i), T(j)]: lower-triangular including the diagonal (which is 1). */
export function decayMatrix(logA: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = logA.shape[logA.rank - 1];
    const { lower } = triMasks(t);
    // rep[..., i, k] = ℓ_k for k ≤ i; the reverse exclusive sum along k gives, at j, Σ_{k=j+1..i} ℓ_k.
    const rep = flat(logA).expandDims(1).mul(lower).reshape([-1, t]);
    const seg = cumsumLast(rep, { exclusive: true, reverse: true });
    return tf.exp(seg).reshape([...logA.shape, t]).mul(lower);
  });
}

/** [..., T] → [rows, T] (tfjs-webgpu's cumsum stops at rank 4; cumsum.ts wants rank 2). */
function flat(logA: tf.Tensor): tf.Tensor {
  const t = logA.shape[logA.rank - 1];
  return logA.reshape([logA.size / t, t]);
}
