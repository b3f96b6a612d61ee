/**
 * Softmax attention with grouped-query heads, in two strategies that compute the same numbers:
 *
 *  - 'batched': batched matMuls over [B, KV, rep·T, hd] (query heads sharing a kv head folded into the
 *    query-time axis — a free reshape, so kv heads are never copied). Right for webgpu, cpu and tensorflow.
 *  - 'blockdiag': one pair of plain 2-D matMuls per sequence, against the sequence's keys laid out
 *    block-diagonally over kv heads ([KV·hd, KV·T]: zeros off the diagonal). tfjs-backend-wasm runs only
 *    2-D non-transposed matMul through XNNPACK (~20 GFLOP/s); its batched matMul is a scalar loop at
 *    0.4–0.9 GFLOP/s for these shapes. The zeros cost KV× the multiply-adds but no extra output, so for
 *    KV ≤ 8 this is 3–3.5× faster on wasm (measured, docs/runtime.md). Needs the fast Slice kernel
 *    (wasm-slice.ts): the stock one copies the whole input per slice.
 *
 * Conventions: query head h reads kv head ⌊h / rep⌋ with rep = H / KV (Llama / llama2.c). Probabilities come
 * back as [B, H, Tq, Tk].
 */
import { tf } from '../tensor/backend.ts';
import { useFastWasmSlice } from '../tensor/wasm-slice.ts';

export type AttentionImpl = 'batched' | 'blockdiag';

/**
 * 'blockdiag' on wasm when the zero padding it adds (KV×) is small and there are enough queries per sequence
 * to amortise its per-sequence ops (a decode step has one query: batched wins there); else 'batched'.
 */
export function chooseAttention(kvHeads: number, queries: number): AttentionImpl {
  return tf.getBackend() === 'wasm' && kvHeads <= 8 && queries >= 16 ? 'blockdiag' : 'batched';
}

/**
 * q [B, H, Tq, hd] (already scaled by 1/√hd), k, v [B, KV, Tk, hd]; mask additive, broadcastable to
 * [B, H, Tq, Tk] (omit it when every key is visible, as in a one-token decode step).
 * Returns the context [B, H, Tq, hd] and the probabilities [B, H, Tq, Tk].
 */
export function attention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  mask?: tf.Tensor,
): { context: tf.Tensor4D; probs: tf.Tensor4D } {
  const [b, h, tq, hd] = q.shape;
  const [, kv, tk] = k.shape;
  if (h % kv !== 0) throw new Error(`attention: ${h} query heads are not a multiple of ${kv} kv heads`);
  const grouped = q.reshape([b, kv, (h / kv) * tq, hd]);
  let scores = tf.matMul(grouped, k, false, true).reshape([b, h, tq, tk]) as tf.Tensor4D;
  if (mask) scores = scores.add(mask);
  const probs = tf.softmax(scores) as tf.Tensor4D;
  const context = tf.matMul(probs.reshape([b, kv, (h / kv) * tq, tk]), v).reshape([b, h, tq, hd]) as tf.Tensor4D;
  return { context, probs };
}

/**
 * The same attention per sequence with 2-D matMuls. q [B, Tq, H, hd] (time-major, scaled), k, v
 * [B, KV, Tk, hd]; mask broadcastable to [B, 1, Tq, Tk]. Returns the context already merged to
 * [B·Tq, H·hd] and, when `wantProbs`, the probabilities [B, H, Tq, Tk].
 *
 * Per sequence b, with rows (r, t) for query head g·rep + r and columns (g, e):
 *   scores_b = Q_b [rep·Tq, KV·hd] · Kbd_b [KV·hd, KV·Tk],   Kbd_b[(g,e),(g',s)] = δ(g,g')·k[b,g,s,e]
 *   ctx_b    = P_b [rep·Tq, KV·Tk] · Vbd_b [KV·Tk, KV·hd],   Vbd_b[(g,s),(g',e)] = δ(g,g')·v[b,g,s,e]
 */
export function attentionBlockDiagonal(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  mask: tf.Tensor | undefined,
  wantProbs: boolean,
): { context: tf.Tensor2D; probs?: tf.Tensor4D } {
  useFastWasmSlice();
  const [b, tq, h, hd] = q.shape;
  const [, kv, tk] = k.shape;
  if (h % kv !== 0) throw new Error(`attention: ${h} query heads are not a multiple of ${kv} kv heads`);
  const rep = h / kv;
  const eye = tf.eye(kv).reshape([1, kv, 1, kv, 1]);
  const qg = q.reshape([b, tq, kv, rep, hd]).transpose([0, 3, 1, 2, 4]).reshape([b, rep * tq, kv * hd]) as tf.Tensor3D;
  const kbd = k.transpose([0, 1, 3, 2]).reshape([b, kv, hd, 1, tk]).mul(eye).reshape([b, kv * hd, kv * tk]) as tf.Tensor3D;
  const vbd = v.reshape([b, kv, tk, 1, hd]).mul(eye).reshape([b, kv * tk, kv * hd]) as tf.Tensor3D;
  const maskB = mask ? mask.reshape([-1, tq, tk]) : undefined;
  const row = (x: tf.Tensor3D, i: number) => x.slice([i, 0, 0], [1, x.shape[1], x.shape[2]]).reshape([x.shape[1], x.shape[2]]) as tf.Tensor2D;
  const contexts: tf.Tensor2D[] = [];
  const probs: tf.Tensor[] = [];
  for (let i = 0; i < b; i++) {
    // A scope per sequence frees its scores as soon as its context exists (peak memory of one sequence).
    const [c, p] = tf.tidy(() => {
      let s = tf.matMul(row(qg, i), row(kbd, i)).reshape([rep, tq, kv, tk]);
      if (maskB) s = s.add((maskB.shape[0] === 1 ? maskB : maskB.slice([i, 0, 0], [1, tq, tk])).reshape([1, tq, 1, tk]));
      const pr = tf.softmax(s);
      const ctx = tf.matMul(pr.reshape([rep * tq, kv * tk]) as tf.Tensor2D, row(vbd, i));
      return wantProbs ? [ctx, pr] : [ctx];
    });
    contexts.push(c as tf.Tensor2D);
    if (p) probs.push(p);
  }
  const context = tf.stack(contexts).reshape([b, rep, tq, kv, hd]).transpose([0, 2, 3, 1, 4]).reshape([b * tq, h * hd]) as tf.Tensor2D;
  if (!wantProbs) return { context };
  const p = tf.stack(probs).transpose([0, 3, 1, 2, 4]).reshape([b, h, tq, tk]) as tf.Tensor4D;
  return { context, probs: p };
}

/**
 * Only the probabilities [B, H, Tq, Tk] of the block-diagonal strategy (stage 1 recomputes the teacher's
 * attention matrices and never uses the context): the scores product and softmax per sequence, no values.
 * q [B, Tq, H, hd] (scaled), k [B, KV, Tk, hd]; mask broadcastable to [B, 1, Tq, Tk].
 */
export function attentionProbsBlockDiagonal(q: tf.Tensor4D, k: tf.Tensor4D, mask: tf.Tensor | undefined): tf.Tensor4D {
  useFastWasmSlice();
  const [b, tq, h, hd] = q.shape;
  const [, kv, tk] = k.shape;
  if (h % kv !== 0) throw new Error(`attention: ${h} query heads are not a multiple of ${kv} kv heads`);
  const rep = h / kv;
  return tf.tidy(() => {
    const eye = tf.eye(kv).reshape([1, kv, 1, kv, 1]);
    const qg = q.reshape([b, tq, kv, rep, hd]).transpose([0, 3, 1, 2, 4]).reshape([b, rep * tq, kv * hd]) as tf.Tensor3D;
    const kbd = k.transpose([0, 1, 3, 2]).reshape([b, kv, hd, 1, tk]).mul(eye).reshape([b, kv * hd, kv * tk]) as tf.Tensor3D;
    const maskB = mask ? mask.reshape([-1, tq, tk]) : undefined;
    const row = (x: tf.Tensor3D, i: number) => x.slice([i, 0, 0], [1, x.shape[1], x.shape[2]]).reshape([x.shape[1], x.shape[2]]) as tf.Tensor2D;
    const probs: tf.Tensor[] = [];
    for (let i = 0; i < b; i++) {
      let s = tf.matMul(row(qg, i), row(kbd, i)).reshape([rep, tq, kv, tk]);
      if (maskB) s = s.add((maskB.shape[0] === 1 ? maskB : maskB.slice([i, 0, 0], [1, tq, tk])).reshape([1, tq, 1, tk]));
      probs.push(tf.softmax(s));
    }
    return tf.stack(probs).transpose([0, 3, 1, 2, 4]).reshape([b, h, tq, tk]) as tf.Tensor4D;
  });
}
