/**
 * Transformer building blocks as pure functions of tensors, shared by the teacher families and by students
 * that keep teacher parts (hybrid attention layers, MLPs, norms, embeddings, head).
 *
 * Layout conventions (chosen for the wasm backend, where only 2-D non-transposed matMul is fast):
 *  - activations travel as 2-D [rows, features] with rows = batch·time (b-major);
 *  - linear weights are stored [in, out] (transposed once from the checkpoint's PyTorch [out, in]);
 *  - attention has two strategies (attention.ts: batched, and block-diagonal 2-D for wasm); probabilities
 *    always come back as [B, heads, T_query, T_key].
 * Every function returns new tensors and does not dispose its inputs: call inside tf.tidy.
 *
 * Gradients: all of these differentiate on every backend except `embed(..., 'gather')`, whose gradient
 * (UnsortedSegmentSum) is missing on wasm — trainable embeddings must use 'onehot'.
 */
import { tf } from '../tensor/backend.ts';
import { attention, attentionBlockDiagonal, attentionProbsBlockDiagonal, chooseAttention, type AttentionImpl } from './attention.ts';
import { applyRope, type RopeConstants } from './rope.ts';

export { applyRope, ropeConstants, ropeTables, ropeRotationMatrix } from './rope.ts';
export { attention, attentionBlockDiagonal, attentionProbsBlockDiagonal, chooseAttention, type AttentionImpl } from './attention.ts';
export type { RopeConstants, RopeLayout, RopeSpec, RopeTables } from './rope.ts';

/** x [N, in] · w [in, out] (+ b [out]). */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const y: tf.Tensor2D = tf.matMul(x, w);
  return b ? tf.add<tf.Tensor2D>(y, b) : y;
}

/** RMSNorm over the last axis: x · rsqrt(mean(x²) + eps) · w (llama2.c and HF Llama order of operations). */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  const scale = x.square().mean(-1, true).add(eps).rsqrt();
  return x.mul(scale).mul(weight);
}

/** LayerNorm over the last axis with the biased variance (as torch.nn.LayerNorm). */
export function layerNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D | undefined, eps: number): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  const y: tf.Tensor2D = x.sub(mean).mul(variance.add(eps).rsqrt()).mul(weight);
  return bias ? tf.add<tf.Tensor2D>(y, bias) : y;
}

export interface NormWeights {
  weight: tf.Tensor1D;
  /** LayerNorm only. */
  bias?: tf.Tensor1D;
}

export function norm(kind: 'rms' | 'layer', x: tf.Tensor2D, w: NormWeights, eps: number): tf.Tensor2D {
  return kind === 'rms' ? rmsNorm(x, w.weight, eps) : layerNorm(x, w.weight, w.bias, eps);
}

/** GPT-2's "gelu_new" (tanh approximation): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluNew(x: tf.Tensor): tf.Tensor {
  const inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(inner.tanh().add(1));
}

/** Exact (erf) GELU, as torch.nn.functional.gelu. tfjs has erf. */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(x.mul(Math.SQRT1_2).erf().add(1));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return x.mul(x.sigmoid());
}

/** SwiGLU MLP: down(silu(x·gate) ⊙ (x·up)). */
export function swigluMlp(x: tf.Tensor2D, w: { gate: tf.Tensor2D; up: tf.Tensor2D; down: tf.Tensor2D }): tf.Tensor2D {
  const g = tf.matMul(x, w.gate);
  const u = tf.matMul(x, w.up);
  return tf.matMul(silu(g).mul(u) as tf.Tensor2D, w.down);
}

/** Two-layer MLP with a GELU: fc2(act(fc1(x))). */
export function geluMlp(
  x: tf.Tensor2D,
  w: { fc1: tf.Tensor2D; fc1Bias?: tf.Tensor1D; fc2: tf.Tensor2D; fc2Bias?: tf.Tensor1D },
  act: 'gelu' | 'gelu_new',
): tf.Tensor2D {
  const h = linear(x, w.fc1, w.fc1Bias);
  const a = (act === 'gelu_new' ? geluNew(h) : geluExact(h)) as tf.Tensor2D;
  return linear(a, w.fc2, w.fc2Bias);
}

/**
 * Token embedding rows for ids [N] (int32) from table [V, D] → [N, D].
 * 'gather' is fastest and fine without gradients; 'onehot' (oneHot·matMul) differentiates on wasm too.
 */
export function embed(ids: tf.Tensor1D, table: tf.Tensor2D, how: 'gather' | 'onehot' = 'gather'): tf.Tensor2D {
  if (how === 'gather') return tf.gather(table, ids) as tf.Tensor2D;
  return tf.matMul(tf.oneHot(ids, table.shape[0]).toFloat() as tf.Tensor2D, table);
}

/** A large negative logit: exp(s + MASKED) is exactly 0 in float32, and unlike −∞ it never makes NaN. */
export const MASKED = -1e9;

/**
 * Additive attention mask [B or 1, 1, T, T]: 0 where query t may see key s (s ≤ t, and s < length of the
 * row when `lengths` is given), MASKED elsewhere. Sequences are left-aligned; padding follows each row's
 * `length` tokens. A padded query row still sees its row's real keys, so no softmax row is empty.
 */
export function causalMask(t: number, lengths?: readonly number[]): tf.Tensor4D {
  const b = lengths ? lengths.length : 1;
  const m = new Float32Array(b * t * t);
  for (let r = 0; r < b; r++) {
    const len = lengths ? lengths[r] : t;
    if (!(len >= 1 && len <= t)) throw new Error(`causalMask: row ${r} length ${len} not in 1..${t}`);
    for (let q = 0; q < t; q++)
      for (let s = 0; s < t; s++) if (s > q || s >= len) m[(r * t + q) * t + s] = MASKED;
  }
  return tf.tensor4d(m, [b, 1, t, t]);
}

export interface AttentionWeights {
  /** [D, H·hd], [D, KV·hd], [D, KV·hd], [H·hd, D] */
  q: tf.Tensor2D;
  k: tf.Tensor2D;
  v: tf.Tensor2D;
  o: tf.Tensor2D;
  qBias?: tf.Tensor1D;
  kBias?: tf.Tensor1D;
  vBias?: tf.Tensor1D;
  oBias?: tf.Tensor1D;
}

export interface AttentionShape {
  heads: number;
  kvHeads: number;
  headDim: number;
}

export interface AttentionResult {
  /** After the output projection: [B·T, D]. */
  out: tf.Tensor2D;
  /** [B, H, T, Tk], when asked for (`wantProbs`). */
  probs?: tf.Tensor4D;
  /** Post-RoPE keys and the values, [B, KV, T, hd], before the GQA repeat (what a KV cache stores). */
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

/** q/k/v projections of x [B·T, D] as [B, T, heads, hd] tensors. */
export function projectQkv(
  x: tf.Tensor2D,
  w: AttentionWeights,
  shape: AttentionShape,
  batch: number,
): { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
  const { heads, kvHeads, headDim: hd } = shape;
  const t = x.shape[0] / batch;
  // Three matMuls rather than one fused matMul and a split: column slices are slow on wasm.
  const q = linear(x, w.q, w.qBias);
  const k = linear(x, w.k, w.kBias);
  const v = linear(x, w.v, w.vBias);
  return {
    q: q.reshape([batch, t, heads, hd]),
    k: k.reshape([batch, t, kvHeads, hd]),
    v: v.reshape([batch, t, kvHeads, hd]),
  };
}

/**
 * The softmax attention probabilities [B, H, T, T] of a block's causal self-attention, without the values,
 * the context or the output projection (what causalSelfAttention(…, {wantProbs}).probs is, for less work:
 * stage 1 recomputes only these). x is the normed input [B·T, D].
 */
export function causalAttentionProbs(
  x: tf.Tensor2D,
  w: AttentionWeights,
  shape: AttentionShape,
  opts: { batch: number; rope?: RopeConstants; mask?: tf.Tensor; impl?: AttentionImpl },
): tf.Tensor4D {
  const { heads, kvHeads, headDim: hd } = shape;
  const b = opts.batch;
  const t = x.shape[0] / b;
  let q = linear(x, w.q, w.qBias).reshape([b, t, heads, hd]) as tf.Tensor4D;
  let k = linear(x, w.k, w.kBias).reshape([b, t, kvHeads, hd]) as tf.Tensor4D;
  if (opts.rope) {
    q = applyRope(q, opts.rope, 0);
    k = applyRope(k, opts.rope, 0);
  }
  q = q.mul(1 / Math.sqrt(hd)) as tf.Tensor4D;
  const kh = k.transpose([0, 2, 1, 3]) as tf.Tensor4D;
  if ((opts.impl ?? chooseAttention(kvHeads, t)) === 'blockdiag') return attentionProbsBlockDiagonal(q, kh, opts.mask);
  const grouped = q.transpose([0, 2, 1, 3]).reshape([b, kvHeads, (heads / kvHeads) * t, hd]);
  let scores = tf.matMul(grouped, kh, false, true).reshape([b, heads, t, t]);
  if (opts.mask) scores = scores.add(opts.mask);
  return tf.softmax(scores) as tf.Tensor4D;
}

/**
 * Causal self-attention of a block: projections, RoPE (when `rope` is given) at positions offset..offset+T−1,
 * GQA, softmax attention, output projection. x is the normed input [B·T, D].
 * `past` (a KV cache: [B, KV, Tpast, hd] post-RoPE keys and values) is prepended to this call's keys.
 * `impl` picks the attention kernel strategy (default: chooseAttention for the active backend and shape).
 */
export function causalSelfAttention(
  x: tf.Tensor2D,
  w: AttentionWeights,
  shape: AttentionShape,
  opts: {
    batch: number;
    rope?: RopeConstants;
    mask?: tf.Tensor;
    offset?: number;
    past?: { k: tf.Tensor4D; v: tf.Tensor4D };
    wantProbs?: boolean;
    impl?: AttentionImpl;
  },
): AttentionResult {
  const { heads, kvHeads, headDim: hd } = shape;
  const b = opts.batch;
  const t = x.shape[0] / b;
  let { q, k, v } = projectQkv(x, w, shape, b);
  if (opts.rope) {
    q = applyRope(q, opts.rope, opts.offset ?? 0);
    k = applyRope(k, opts.rope, opts.offset ?? 0);
  }
  q = q.mul(1 / Math.sqrt(hd)) as tf.Tensor4D;
  let kh = k.transpose([0, 2, 1, 3]) as tf.Tensor4D;
  let vh = v.transpose([0, 2, 1, 3]) as tf.Tensor4D;
  if (opts.past) {
    kh = tf.concat([opts.past.k, kh], 2);
    vh = tf.concat([opts.past.v, vh], 2);
  }
  const impl = opts.impl ?? chooseAttention(kvHeads, t);
  let merged: tf.Tensor2D;
  let probs: tf.Tensor4D | undefined;
  if (impl === 'blockdiag') {
    ({ context: merged, probs } = attentionBlockDiagonal(q, kh, vh, opts.mask, opts.wantProbs ?? false));
  } else {
    const r = attention(q.transpose([0, 2, 1, 3]) as tf.Tensor4D, kh, vh, opts.mask);
    merged = r.context.transpose([0, 2, 1, 3]).reshape([b * t, heads * hd]) as tf.Tensor2D;
    probs = opts.wantProbs ? r.probs : undefined;
  }
  return { out: linear(merged, w.o, w.oBias), probs, k: kh, v: vh };
}
