/**
 * Form (a): the materialised mixing matrix per head, M[t,s] = (C_t·B_s)·Π_{k=s+1..t} α_k (s ≤ t), the
 * object stage 1 matches against the teacher's attention. O(T²) memory: for training and tests.
 */
import { tf } from '../tensor/backend.ts';
import { cumsumLast } from './cumsum.ts';
import { decayMatrix } from './segsum.ts';
import { applyResets, dims, ssdShape, type SsdInputs } from './ssd-inputs.ts';

/** Block length of the blockwise decay matrix; sequences up to 2 blocks use the direct segment sum. */
export const MATRIX_BLOCK = 16;

/**
 * M [b, H, T, T] without D (callers add D on the diagonal). x is not read. `block` picks how the decay matrix
 * is built (default: blockwise with MATRIX_BLOCK when T > 2 blocks, else direct; 0 forces direct).
 */
export function ssdMatrix(inp: Omit<SsdInputs, 'x'> & { x?: tf.Tensor }, opts: { block?: number } = {}): tf.Tensor {
  return tf.tidy(() => {
    const [b, t, g] = dims(inp.B);
    const h = dims(inp.logA)[2];
    ssdShape({ ...inp, x: inp.x ?? tf.zeros([b, t, h, 1]) });
    const logA = applyResets(inp.logA, inp.resets).transpose([0, 2, 1]); // [b,H,T]
    const block = opts.block ?? (t > 2 * MATRIX_BLOCK ? MATRIX_BLOCK : 0);
    const L = block > 0 && block < t ? blockwiseDecayMatrix(logA, block) : decayMatrix(logA); // [b,H,T,T]
    const Bg = inp.B.transpose([0, 2, 1, 3]); // [b,G,T,N]
    const Cg = inp.C.transpose([0, 2, 1, 3]);
    const cb = tf.matMul(Cg, Bg, false, true); // [b,G,T,T]
    return L.reshape([b, g, h / g, t * t]).mul(cb.reshape([b, g, 1, t * t])).reshape([b, h, t, t]);
  });
}

/**
 * The decay matrix [b, H, T, T] assembled from blocks of q tokens, as the chunked form factors it: within a
 * block the stable segment sum; across blocks L[i,j] = exp(Σ_{k≤i in i's block} ℓ)·E[k_i,k_j]·exp(Σ_{k>j in
 * j's block} ℓ), E being the decay over the blocks strictly between (a segment sum over block totals). Every
 * factor is an exp of a sum of non-positive terms computed without cancellation, as in the direct form, but
 * the T×T work is a few multiplies instead of a T×T cumulative sum and exp — the stage-1 hot path.
 */
function blockwiseDecayMatrix(logA: tf.Tensor, q: number): tf.Tensor {
  const [b, h, t] = dims(logA);
  const c = Math.ceil(t / q);
  const tp = c * q;
  const bh = b * h;
  const lc = (tp > t ? logA.pad([[0, 0], [0, 0], [0, tp - t]]) : logA).reshape([bh * c, q]);
  const fromStart = cumsumLast(lc); // [bh·c, q]: Σ_{k≤i} within the block
  const toEnd = cumsumLast(lc, { exclusive: true, reverse: true }); // Σ_{k>j} within the block
  const blockSum = fromStart.slice([0, q - 1], [bh * c, 1]).reshape([bh, c]);
  // E[k, m] = exp(Σ_{m<k'<k} A_k') for m < k: the block-level decay matrix shifted down one row.
  const dBlocks = decayMatrix(blockSum); // [bh, c, c]
  const e = tf.concat([tf.zeros([bh, 1, c]), dBlocks.slice([0, 0, 0], [bh, c - 1, c])], 1); // [bh, c(k), c(m)]
  const left = tf.exp(fromStart).reshape([bh, c, q, 1, 1]);
  const right = tf.exp(toEnd).reshape([bh, 1, 1, c, q]);
  const across = left.mul(e.reshape([bh, c, 1, c, 1])).mul(right); // [bh, c, q, c, q]
  const within = decayMatrix(lc).reshape([bh, c, q, 1, q]).mul(blockEye(c).reshape([1, c, 1, c, 1]));
  const full = across.add(within).reshape([b, h, tp, tp]);
  return tp > t ? full.slice([0, 0, 0, 0], [b, h, t, t]) : full;
}

const eyes = new Map<string, tf.Tensor>();
function blockEye(c: number): tf.Tensor {
  const key = `${tf.getBackend()}:${c}`;
  let e = eyes.get(key);
  if (!e) {
    e = tf.keep(tf.eye(c));
    eyes.set(key, e);
  }
  return e;
}

/** y = M·x per head, [b, T, H, P] (no D). */
export function applyMixingMatrix(m: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [b, t, h, p] = dims(x);
    const xh = x.transpose([0, 2, 1, 3]).reshape([b * h, t, p]);
    return tf.matMul(m.reshape([b * h, t, t]), xh).reshape([b, h, t, p]).transpose([0, 2, 1, 3]);
  });
}

/** Adds D_h on the diagonal of M [b, H, T, T]. */
export function addDiagonal(m: tf.Tensor, D: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const t = dims(m)[3];
    const eye = tf.eye(t);
    return m.add(eye.mul(D.reshape([1, -1, 1, 1])));
  });
}
