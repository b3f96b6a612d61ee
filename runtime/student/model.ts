/**
 * A student language model: the teacher's block layout with an SSM mixer in place of attention in the layers
 * the IR marks 'ssm' and the teacher's attention kept in the others; embeddings, norms, MLPs and the head are
 * the teacher's (copied, trainable or not). Residual stream 2-D [B·T, D] as in runtime/models.
 *
 * Besides the whole-model forward (stage 3, eval, sampling) it exposes what the per-layer stages need, all
 * taking the TEACHER's hidden state entering the layer: the materialised mixing matrix (stage 1), and the
 * mixer or block output (stage 2).
 */
import type { TransformerConfig } from '../io/types.ts';
import { causalMask, causalSelfAttention, embed, norm, ropeConstants, type RopeConstants } from '../models/blocks.ts';
import { mlp, transformerBlock } from '../models/transformer.ts';
import type { LayerWeights, TransformerWeights } from '../models/weights.ts';
import type { Mixer, MixerCache } from '../mixers/mixer.ts';
import { tf } from '../tensor/backend.ts';
import { packedCausalMask } from './masks.ts';

export interface StudentLayer {
  index: number;
  kind: 'ssm' | 'attention';
  /** A kept attention layer that no stage trains. */
  frozen: boolean;
  mixer?: Mixer;
  /** Name prefix of the layer's parameters, e.g. 'model.layers.3.'. */
  prefix: string;
}

export interface StudentForwardOptions {
  /** [B, T] 0/1: a token starts a new packed sequence (SSM state, conv and attention all cut there). */
  resets?: tf.Tensor;
  /** Valid length per row (left-aligned, padding after); not with resets. */
  lengths?: readonly number[];
  /** Compute logits (default true). */
  logits?: boolean;
  /** Also return the residual stream entering every layer and leaving the last one: L+1 tensors [B, T, D]. */
  hidden?: boolean;
  /** Return the decode state after the last token. */
  cache?: boolean;
}

/** Per layer: the mixer's state, or the attention layer's post-RoPE keys/values [B, KV, len, hd]. */
export interface StudentCache {
  layers: (MixerCache | { k: tf.Tensor4D; v: tf.Tensor4D })[];
  batch: number;
  length: number;
}

export interface StudentForwardResult {
  logits?: tf.Tensor3D;
  hidden?: tf.Tensor3D[];
  cache?: StudentCache;
}

export class StudentLM {
  private readonly rope?: RopeConstants;
  private disposed = false;

  constructor(
    readonly config: TransformerConfig,
    readonly weights: TransformerWeights,
    readonly layers: StudentLayer[],
    /** Every parameter under its Hugging Face name, in compute layout (linear weights [in, out]). */
    readonly params: Map<string, tf.Tensor>,
    private readonly owned: tf.Tensor[],
    private readonly embedding: 'gather' | 'onehot',
    /** Names in `params` that no stage trains: the attention projections of layers marked frozen. */
    readonly frozen: ReadonlySet<string> = new Set(),
  ) {
    if (config.positions === 'rope' && layers.some((l) => l.kind === 'attention'))
      this.rope = ropeConstants(
        { headDim: config.headDim, rotaryDim: config.rotaryDim ?? config.headDim, theta: config.ropeTheta ?? 10000, layout: config.ropeLayout ?? 'half' },
        config.maxSeqLen,
      );
  }

  /** ids [B, T] int32 → logits [B, T, V] (and hidden states / cache on request). */
  forward(ids: tf.Tensor2D | number[][], opts: StudentForwardOptions = {}): StudentForwardResult {
    this.assertLive();
    if (opts.resets && opts.lengths) throw new Error('student forward: give resets or lengths, not both');
    const idsT = ids instanceof tf.Tensor ? ids : tf.tensor2d(ids, undefined, 'int32');
    const [b, t] = idsT.shape;
    const cfg = this.config;
    const needMask = this.layers.some((l) => l.kind === 'attention');
    const mask = needMask ? (opts.resets ? packedCausalMask(opts.resets) : causalMask(t, opts.lengths)) : undefined;
    const out: StudentForwardResult = {};
    const hidden: tf.Tensor3D[] = [];
    const cacheLayers: StudentCache['layers'] = [];
    let h = tf.tidy(() => this.embed(idsT, 0));
    try {
      for (const layer of this.layers) {
        if (opts.hidden) hidden.push(h.reshape([b, t, cfg.dModel]));
        const r = tidy(() => this.block(layer, h, { batch: b, mask, resets: opts.resets, cache: opts.cache }));
        if (opts.cache) cacheLayers.push(r.cache!);
        h.dispose();
        h = r.output;
      }
      if (opts.hidden) hidden.push(h.reshape([b, t, cfg.dModel]));
      if (opts.logits !== false)
        out.logits = tf.tidy(() => this.head(norm(cfg.norm, h, this.weights.finalNorm, cfg.normEps)).reshape([b, t, cfg.vocab])) as tf.Tensor3D;
    } finally {
      h.dispose();
      mask?.dispose();
      if (idsT !== ids) idsT.dispose();
    }
    if (opts.hidden) out.hidden = hidden;
    if (opts.cache) out.cache = { layers: cacheLayers, batch: b, length: t };
    return out;
  }

  /** One token per row at position cache.length → logits [B, V] and the next cache (the old one is disposed). */
  step(ids: tf.Tensor1D | number[], cache: StudentCache): { logits: tf.Tensor2D; cache: StudentCache } {
    this.assertLive();
    const cfg = this.config;
    const flat = ids instanceof tf.Tensor ? ids : tf.tensor1d(ids, 'int32');
    const b = cache.batch;
    if (flat.shape[0] !== b) throw new Error(`student step: ${flat.shape[0]} ids for a cache of batch ${b}`);
    if (cache.length + 1 > cfg.maxSeqLen && this.layers.some((l) => l.kind === 'attention'))
      throw new RangeError(`position ${cache.length} exceeds the kept attention layers' maximum of ${cfg.maxSeqLen}`);
    const next: StudentCache['layers'] = [];
    let h = tf.tidy(() => this.embed(flat.reshape([b, 1]) as tf.Tensor2D, cache.length));
    try {
      this.layers.forEach((layer, l) => {
        const r = tidy(() => this.block(layer, h, { batch: b, past: cache.layers[l], offset: cache.length, cache: true }));
        next.push(r.cache!);
        h.dispose();
        h = r.output;
      });
      const logits = tf.tidy(() => this.head(norm(cfg.norm, h, this.weights.finalNorm, cfg.normEps)));
      for (const c of cache.layers) tf.dispose(Object.values(c));
      return { logits, cache: { layers: next, batch: b, length: cache.length + 1 } };
    } finally {
      h.dispose();
      if (flat !== ids) flat.dispose();
    }
  }

  /** The mixer's input for layer l given the residual stream h [B, T, D] entering it (the block's first norm). */
  normedInput(l: number, h: tf.Tensor): tf.Tensor3D {
    const [b, t, d] = h.shape as number[];
    return tf.tidy(() => norm(this.config.norm, h.reshape([b * t, d]) as tf.Tensor2D, this.layerWeights(l).attnNorm, this.config.normEps).reshape([b, t, d]));
  }

  /** Stage 1: the SSM layer's mixing matrix [B, H, T, T] (D on the diagonal) on the teacher's hidden state. */
  layerMatrix(l: number, h: tf.Tensor, opts: { resets?: tf.Tensor } = {}): tf.Tensor4D {
    const mixer = this.ssmMixer(l);
    return tf.tidy(() => mixer.materialize(this.normedInput(l, h), opts) as tf.Tensor4D);
  }

  /**
   * Stage 2: the mixer's output [B, T, D] (target 'mixer') on the teacher's hidden state — for a kept attention
   * layer, its attention output after the output projection.
   */
  layerMixer(l: number, h: tf.Tensor, opts: { resets?: tf.Tensor } = {}): tf.Tensor3D {
    const layer = this.layers[l];
    if (layer?.kind === 'attention') {
      const [b, t, d] = h.shape as number[];
      return tf.tidy(() => {
        const mask = opts.resets ? packedCausalMask(opts.resets) : causalMask(t);
        const u = this.normedInput(l, h).reshape([b * t, d]) as tf.Tensor2D;
        const shape = { heads: this.config.heads, kvHeads: this.config.kvHeads, headDim: this.config.headDim };
        return causalSelfAttention(u, this.layerWeights(l).attn, shape, { batch: b, rope: this.rope, mask }).out.reshape([b, t, d]) as tf.Tensor3D;
      });
    }
    const mixer = this.ssmMixer(l);
    return tf.tidy(() => mixer.forward(this.normedInput(l, h), { resets: opts.resets }).out as tf.Tensor3D);
  }

  /** Stage 2: the whole block's output [B, T, D] (target 'block') on the teacher's hidden state. */
  layerBlock(l: number, h: tf.Tensor, opts: { resets?: tf.Tensor; lengths?: readonly number[] } = {}): tf.Tensor3D {
    const [b, t, d] = h.shape as number[];
    const layer = this.layers[l];
    return tf.tidy(() => {
      const mask = layer.kind === 'attention' ? (opts.resets ? packedCausalMask(opts.resets) : causalMask(t, opts.lengths)) : undefined;
      return this.block(layer, h.reshape([b * t, d]) as tf.Tensor2D, { batch: b, mask, resets: opts.resets }).output.reshape([b, t, d]) as tf.Tensor3D;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(this.owned);
    this.rope?.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('StudentLM used after dispose()');
  }

  private ssmMixer(l: number): Mixer {
    const layer = this.layers[l];
    if (!layer) throw new RangeError(`student has no layer ${l} (it has ${this.layers.length})`);
    if (!layer.mixer) throw new Error(`student layer ${l} keeps the teacher's attention; it has no SSM mixer`);
    return layer.mixer;
  }

  private layerWeights(l: number): LayerWeights {
    const w = this.weights.layers[l];
    if (!w) throw new RangeError(`student has no layer ${l}`);
    return w;
  }

  private block(
    layer: StudentLayer,
    x: tf.Tensor2D,
    ctx: { batch: number; mask?: tf.Tensor; resets?: tf.Tensor; past?: StudentCache['layers'][number]; offset?: number; cache?: boolean },
  ): { output: tf.Tensor2D; cache?: StudentCache['layers'][number] } {
    const cfg = this.config;
    const w = this.layerWeights(layer.index);
    if (layer.kind === 'attention') {
      const past = ctx.past as { k: tf.Tensor4D; v: tf.Tensor4D } | undefined;
      const r = transformerBlock(x, w, cfg, { batch: ctx.batch, rope: this.rope, mask: ctx.mask, offset: ctx.offset ?? 0, past });
      // r.k / r.v already include the past keys and values.
      const cache = ctx.cache ? { k: r.k, v: r.v } : undefined;
      return { output: r.output, cache };
    }
    const mixer = layer.mixer!;
    const rows = x.shape[0];
    const t = rows / ctx.batch;
    const u = norm(cfg.norm, x, w.attnNorm, cfg.normEps);
    let m: tf.Tensor2D;
    let cache: MixerCache | undefined;
    if (ctx.past && t === 1) {
      const s = mixer.step(u, ctx.past as MixerCache);
      m = s.out as tf.Tensor2D;
      cache = s.cache;
    } else {
      const r = mixer.forward(u.reshape([ctx.batch, t, cfg.dModel]), {
        resets: ctx.resets,
        cache: ctx.past as MixerCache | undefined,
        returnCache: ctx.cache,
      });
      m = r.out.reshape([rows, cfg.dModel]) as tf.Tensor2D;
      cache = r.cache;
    }
    let output: tf.Tensor2D;
    if (cfg.parallelBlock) output = m.add(mlp(u, w.mlp)).add(x);
    else {
      const h2 = x.add<tf.Tensor2D>(m);
      output = h2.add(mlp(norm(cfg.norm, h2, w.mlpNorm!, cfg.normEps), w.mlp));
    }
    return { output, cache };
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
    const logits: tf.Tensor2D = w.head ? tf.matMul(x, w.head) : tf.matMul(x, w.embed, false, true);
    return w.headBias ? tf.add<tf.Tensor2D>(logits, w.headBias) : logits;
  }
}

/** tf.tidy for results whose type tfjs' TensorContainer cannot express (objects with optional fields). */
function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}
