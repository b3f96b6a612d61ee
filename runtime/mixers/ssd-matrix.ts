/**
 * Form (a): the materialised mixing matrix per head, M[t,s] = (C_t·B_s)·Π_{k=s+1..t} α_k (s ≤ t), the
 * object stage 1 matches against the teacher's attention. O(T²) memory: for training and tests.
 */
import { tf } from '../tensor/backend.ts';
import { decayMatrix } from './segsum.ts';
import { applyResets, dims, ssdShape, type SsdInputs } from './ssd-inputs.ts';

/** M [b, H, T, T] without D (callers add D on the diagonal). x is not read. */
export function ssdMatrix(inp: Omit<SsdInputs, 'x'> & { x?: tf.Tensor }): tf.Tensor {
  return tf.tidy(() => {
    const [b, t, g, n] = dims(inp.B);
    const h = dims(inp.logA)[2];
    ssdShape({ ...inp, x: inp.x ?? tf.zeros([b, t, h, 1]) });
    const logA = applyResets(inp.logA, inp.resets).transpose([0, 2, 1]); // [b,H,T]
    const L = decayMatrix(logA); // [b,H,T,T]
    const Bg = inp.B.transpose([0, 2, 1, 3]); // [b,G,T,N]
    const Cg = inp.C.transpose([0, 2, 1, 3]);
    const cb = tf.matMul(Cg, Bg, false, true); // [b,G,T,T]
    return L.reshape([b, g, h / g, t * t]).mul(cb.reshape([b, g, 1, t * t])).reshape([b, h, t, t]);
  });
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
