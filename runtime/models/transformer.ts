/**
 * The teacher language model: one generic pre-norm decoder driven by TransformerConfig (llama, phi and gpt2
 * differ only in norms, positions, MLP, block wiring and biases — all config fields), with per-layer
 * captures for the MOHAWK stages and a KV cache for decoding.
 *
 * Residual stream layout: 2-D [B·T, D] (rows b-major), so every projection is one fast 2-D matMul.
 */
import type { TransformerConfig } from '../io/types.ts';
import { tf } from '../tensor/backend.ts';
import {
  causalMask,
  causalSelfAttention,
  embed,
  geluMlp,
  norm,
  ropeConstants,
  swigluMlp,
  type AttentionImpl,
  type AttentionShape,
  type RopeConstants,
} from './blocks.ts';
import type { LayerWeights, MlpWeights, TransformerWeights } from './weights.ts';

/** What one layer hands back when captured. Shapes: hidden [B, T, D]; probs [B, H, T, T]. */
export interface LayerCapture {
  layer: number;
  /** Residual stream entering the block (layer 0: the embedding output). */
  input?: tf.Tensor3D;
  /** Softmax attention probabilities, post-RoPE, causal (0 above the diagonal and on padded keys). */
  probs?: tf.Tensor4D;
  /** Attention output after the output projection (W_O / dense / c_proj), before the residual add. */
  attnOut?: tf.Tensor3D;
  /** Residual stream leaving the block. */
  output?: tf.Tensor3D;
}

export interface CaptureOptions {
  /** Which layers to capture (default all): a list or a predicate. */
  layers?: readonly number[] | ((layer: number) => boolean);
  input?: boolean;
  probs?: boolean;
  attnOut?: boolean;
  output?: boolean;
  /**
   * Called as soon as a layer's captures exist; the callee owns (and must dispose) them, and they are not
   * collected in the result. Lets stage 1 consume one layer's T×T matrices before the next layer runs.
   */
  onLayer?: (capture: LayerCapture) => void;
}

export interface ForwardOptions {
  /** Valid length of each row (sequences left-aligned, padding after). Default: all rows full. */
  lengths?: readonly number[];
  capture?: CaptureOptions;
  /** Compute logits (default true). */
  logits?: boolean;
  /** Return the final normed hidden state [B, T, D]. */
  finalHidden?: boolean;
  /** Return a KV cache of this pass for decoding with `step`. */
  cache?: boolean;
}

export interface ForwardResult {
  /** [B, T, V] */
  logits?: tf.Tensor3D;
  finalHidden?: tf.Tensor3D;
  /** Captured layers in order (empty when `onLayer` is used or nothing was asked). */
  layers: LayerCapture[];
  cache?: KvCache;
}

/** Post-RoPE keys and values per layer, [B, KV, length, hd]. `step` returns a new cache and disposes the old. */
export interface KvCache {
  k: tf.Tensor4D[];
  v: tf.Tensor4D[];
  batch: number;
  length: number;
}

export type EmbeddingMode = 'gather' | 'onehot';

export interface ModelOptions {
  /** 'gather' (default for frozen weights) or 'onehot' (differentiable on wasm; default when trainable). */
  embedding?: EmbeddingMode;
  /** Attention strategy; default chooseAttention (blocks.ts) for the backend active at each call. */
  attention?: AttentionImpl;
}

export class TransformerLM {
  readonly config: TransformerConfig;
  readonly weights: TransformerWeights;
  /** Checkpoint name → device tensor (tf.Variable when trainable). Linear weights are [in, out]. */
  readonly params: Map<string, tf.Tensor>;
  readonly trainable: boolean;
  private readonly derived: tf.Tensor[];
  private readonly rope?: RopeConstants;
  private readonly embedding: EmbeddingMode;
  private readonly attentionImpl?: AttentionImpl;
  private disposed = false;

  constructor(
    config: TransformerConfig,
    built: { weights: TransformerWeights; params: Map<string, tf.Tensor>; derived: tf.Tensor[] },
    trainable: boolean,
    opts: ModelOptions = {},
  ) {
    this.config = config;
    this.weights = built.weights;
    this.params = built.params;
    this.derived = built.derived;
    this.trainable = trainable;
    this.embedding = opts.embedding ?? (trainable ? 'onehot' : 'gather');
    this.attentionImpl = opts.attention;
    if (config.positions === 'rope') {
      this.rope = ropeConstants(
        {
          headDim: config.headDim,
          rotaryDim: config.rotaryDim ?? config.headDim,
          theta: config.ropeTheta ?? 10000,
          layout: config.ropeLayout ?? 'half',
        },
        config.maxSeqLen,
      );
    }
  }

  get attentionShape(): AttentionShape {
    return { heads: this.config.heads, kvHeads: this.config.kvHeads, headDim: this.config.headDim };
  }

  /** ids [B, T] int32 (a tensor or nested arrays). Tensors in the result belong to the caller. */
  forward(ids: tf.Tensor2D | number[][], opts: ForwardOptions = {}): ForwardResult {
    this.assertLive();
    const idsT = ids instanceof tf.Tensor ? ids : tf.tensor2d(ids, undefined, 'int32');
    try {
      return this.run(idsT, 0, opts, undefined);
    } finally {
      if (idsT !== ids) idsT.dispose();
    }
  }

  /**
   * Decode step: ids [B] (one token per row) at position cache.length. Returns the logits [B, V] and the
   * extended cache; the passed cache's tensors are disposed. Matches `forward` on the full sequence.
   */
  step(ids: tf.Tensor1D | number[], cache: KvCache): { logits: tf.Tensor2D; cache: KvCache } {
    this.assertLive();
    const flat = ids instanceof tf.Tensor ? ids : tf.tensor1d(ids, 'int32');
    if (flat.shape[0] !== cache.batch) throw new Error(`step: ${flat.shape[0]} ids for a cache of batch ${cache.batch}`);
    const ids2 = flat.reshape([cache.batch, 1]) as tf.Tensor2D;
    try {
      const r = this.run(ids2, cache.length, { cache: true }, cache);
      const logits = r.logits!.reshape([cache.batch, this.config.vocab]) as tf.Tensor2D;
      r.logits!.dispose();
      for (const t of [...cache.k, ...cache.v]) t.dispose();
      return { logits, cache: r.cache! };
    } finally {
      ids2.dispose();
      if (flat !== ids) flat.dispose();
    }
  }

  /** Frees the weights and constants. Variables are disposed too. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.params.values()) t.dispose();
    for (const t of this.derived) t.dispose();
    this.rope?.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('TransformerLM used after dispose()');
  }

  private run(ids: tf.Tensor2D, offset: number, opts: ForwardOptions, past: KvCache | undefined): ForwardResult {
    const cfg = this.config;
    const [b, t] = ids.shape;
    if (offset + t > cfg.maxSeqLen)
      throw new RangeError(`sequence of ${offset + t} positions exceeds the model's maximum of ${cfg.maxSeqLen}`);
    const cap = opts.capture;
    const selected = layerFilter(cap);
    // A decode step (past given) sees every cached key: no mask needed.
    const mask = past ? undefined : causalMask(t, opts.lengths);
    const out: ForwardResult = { layers: [] };
    const newK: tf.Tensor4D[] = [];
    const newV: tf.Tensor4D[] = [];

    let h = tf.tidy(() => this.embed(ids, offset));
    try {
      for (let l = 0; l < cfg.layers; l++) {
        const want = cap && selected(l);
        const r = tf.tidy(() => {
          const res = transformerBlock(h, this.weights.layers[l], cfg, {
            batch: b,
            rope: this.rope,
            mask,
            offset,
            past: past ? { k: past.k[l], v: past.v[l] } : undefined,
            wantProbs: !!(want && cap.probs),
            impl: this.attentionImpl,
          });
          return {
            output: res.output,
            probs: want && cap.probs ? res.probs : undefined,
            attnOut: want && cap.attnOut ? res.attnOut.reshape([b, t, cfg.dModel]) : undefined,
            k: opts.cache ? res.k : undefined,
            v: opts.cache ? res.v : undefined,
          };
        });
        if (opts.cache) {
          newK.push(r.k as tf.Tensor4D);
          newV.push(r.v as tf.Tensor4D);
        }
        if (want) {
          const c: LayerCapture = { layer: l };
          if (cap.input) c.input = h.reshape([b, t, cfg.dModel]);
          if (cap.probs) c.probs = r.probs as tf.Tensor4D;
          if (cap.attnOut) c.attnOut = r.attnOut as tf.Tensor3D;
          if (cap.output) c.output = (r.output as tf.Tensor2D).reshape([b, t, cfg.dModel]);
          if (cap.onLayer) cap.onLayer(c);
          else out.layers.push(c);
        }
        h.dispose();
        h = r.output as tf.Tensor2D;
      }
      if (opts.logits !== false || opts.finalHidden) {
        const { logits, hidden } = tf.tidy(() => {
          const hidden = norm(cfg.norm, h, this.weights.finalNorm, cfg.normEps);
          const logits = opts.logits !== false ? this.head(hidden).reshape([b, t, cfg.vocab]) : undefined;
          return { hidden: opts.finalHidden ? hidden.reshape([b, t, cfg.dModel]) : undefined, logits };
        });
        out.logits = logits as tf.Tensor3D | undefined;
        out.finalHidden = hidden as tf.Tensor3D | undefined;
      }
    } finally {
      h.dispose();
      mask?.dispose();
    }
    if (opts.cache) out.cache = { k: newK, v: newV, batch: b, length: offset + t };
    return out;
  }

  private embed(ids: tf.Tensor2D, offset: number): tf.Tensor2D {
    const [b, t] = ids.shape;
    let x = embed(ids.reshape([b * t]) as tf.Tensor1D, this.weights.embed, this.embedding);
    if (this.weights.positions) {
      const pos = this.weights.positions.slice([offset, 0], [t, this.config.dModel]);
      x = x.reshape([b, t, this.config.dModel]).add(pos).reshape([b * t, this.config.dModel]);
    }
    return x;
  }

  private head(x: tf.Tensor2D): tf.Tensor2D {
    const w = this.weights;
    // A trainable tied head must read the embedding Variable itself (transposed matMul: slower on wasm).
    const logits: tf.Tensor2D = w.head ? tf.matMul(x, w.head) : tf.matMul(x, w.embed, false, true);
    return w.headBias ? tf.add<tf.Tensor2D>(logits, w.headBias) : logits;
  }
}

function layerFilter(cap: CaptureOptions | undefined): (l: number) => boolean {
  if (!cap || cap.layers === undefined) return () => true;
  if (typeof cap.layers === 'function') return cap.layers;
  const set = new Set(cap.layers);
  return (l) => set.has(l);
}

export interface BlockContext {
  batch: number;
  rope?: RopeConstants;
  mask?: tf.Tensor;
  offset?: number;
  past?: { k: tf.Tensor4D; v: tf.Tensor4D };
  /** Return the attention probabilities (costs a re-layout with the wasm strategy). */
  wantProbs?: boolean;
  impl?: AttentionImpl;
}

/**
 * One teacher block on the residual stream x [B·T, D]: sequential (x + attn(n1(x)), then + mlp(n2(·))) or
 * parallel (x + attn(n(x)) + mlp(n(x)), Phi). Exported for hybrid students that keep teacher layers.
 */
export function transformerBlock(
  x: tf.Tensor2D,
  w: LayerWeights,
  cfg: TransformerConfig,
  ctx: BlockContext,
): { output: tf.Tensor2D; attnOut: tf.Tensor2D; probs?: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
  const shape = { heads: cfg.heads, kvHeads: cfg.kvHeads, headDim: cfg.headDim };
  const u = norm(cfg.norm, x, w.attnNorm, cfg.normEps);
  const a = causalSelfAttention(u, w.attn, shape, ctx);
  let output: tf.Tensor2D;
  if (cfg.parallelBlock) {
    output = a.out.add(mlp(u, w.mlp)).add(x);
  } else {
    if (!w.mlpNorm) throw new Error('a sequential block needs a second norm');
    const h = x.add<tf.Tensor2D>(a.out);
    output = h.add(mlp(norm(cfg.norm, h, w.mlpNorm, cfg.normEps), w.mlp));
  }
  return { output, attnOut: a.out, probs: a.probs, k: a.k, v: a.v };
}

export function mlp(x: tf.Tensor2D, w: MlpWeights): tf.Tensor2D {
  if (w.kind === 'swiglu') return swigluMlp(x, { gate: w.gate!, up: w.up!, down: w.down! });
  return geluMlp(x, { fc1: w.fc1!, fc1Bias: w.fc1Bias, fc2: w.fc2!, fc2Bias: w.fc2Bias }, w.kind);
}
