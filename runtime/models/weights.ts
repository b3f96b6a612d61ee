/**
 * Teacher weights on the device, in the layout the blocks use (linear weights [in, out]), plus a registry
 * under the checkpoint's Hugging Face names so students can find and copy them.
 *
 * The family files (families/*.ts) say which checkpoint tensor is which; this file does the transposes and the
 * Variable/const choice once, so a forward pass never transposes a weight. Projections stay separate
 * (q, k, v; gate, up): a fused matMul followed by a column split is slower on wasm than three matMuls.
 */
import type { Checkpoint, HostTensor, TransformerConfig } from '../io/types.ts';
import { FileFormatError } from '../io/types.ts';
import { tf } from '../tensor/backend.ts';
import type { AttentionWeights, NormWeights } from './blocks.ts';

export interface MlpWeights {
  kind: 'swiglu' | 'gelu' | 'gelu_new';
  /** swiglu: gate/up [D, F], down [F, D]; gelu: fc1 [D, F], fc2 [F, D] (+ biases). */
  gate?: tf.Tensor2D;
  up?: tf.Tensor2D;
  down?: tf.Tensor2D;
  fc1?: tf.Tensor2D;
  fc1Bias?: tf.Tensor1D;
  fc2?: tf.Tensor2D;
  fc2Bias?: tf.Tensor1D;
}

export interface LayerWeights {
  /** Norm before attention (and, in a parallel block, before the MLP too). */
  attnNorm: NormWeights;
  /** Norm before the MLP in a sequential block; absent in a parallel block. */
  mlpNorm?: NormWeights;
  attn: AttentionWeights;
  mlp: MlpWeights;
}

export interface TransformerWeights {
  /** [V, D] */
  embed: tf.Tensor2D;
  /** Learned absolute positions [maxSeqLen, D] (GPT-2). */
  positions?: tf.Tensor2D;
  layers: LayerWeights[];
  finalNorm: NormWeights;
  /** [D, V]; for a tied head this is a transposed copy of `embed` (frozen) or absent (trainable: read embed). */
  head?: tf.Tensor2D;
  headBias?: tf.Tensor1D;
}

/** Where each checkpoint tensor goes: the family files produce this from the checkpoint's names. */
export interface LinearSource {
  /** Checkpoint name; the tensor is [out, in]. */
  weight: string;
  bias?: string;
  /** Rows of the [out, in] tensor to take (GPT-2's fused c_attn holds q, k and v). */
  rows?: [number, number];
}

export interface NormSource {
  weight: string;
  bias?: string;
}

export interface LayerSource {
  attnNorm: NormSource;
  mlpNorm?: NormSource;
  q: LinearSource;
  k: LinearSource;
  v: LinearSource;
  o: LinearSource;
  /** swiglu: gate, up, down; gelu: fc1 = up, fc2 = down. */
  gate?: LinearSource;
  up: LinearSource;
  down: LinearSource;
}

export interface FamilySource {
  embed: string;
  positions?: string;
  layers: LayerSource[];
  finalNorm: NormSource;
  /** Untied head [V, D] (+ bias); undefined = tied to the embedding. */
  head?: LinearSource;
  /** Bias of a tied head (a checkpoint may tie the weight and still carry lm_head.bias). */
  tiedHeadBias?: string;
}

export interface WeightOptions {
  /** Make parameters tf.Variables (trainable) instead of constants. */
  trainable?: boolean;
  /** Prefix for Variable names (tfjs names are global and must be unique per model instance). */
  namePrefix?: string;
}

export interface BuiltWeights {
  weights: TransformerWeights;
  /** Checkpoint name → device tensor. Linear weights are stored TRANSPOSED to [in, out]. */
  params: Map<string, tf.Tensor>;
  /** Extra tensors (the tied-head transpose) that are not parameters; disposed with the model. */
  derived: tf.Tensor[];
}

let instanceCounter = 0;

export function buildWeights(ckpt: Checkpoint, source: FamilySource, opts: WeightOptions = {}): BuiltWeights {
  const cfg = ckpt.config;
  const trainable = opts.trainable ?? false;
  const prefix = opts.namePrefix ?? `teacher${instanceCounter++}`;
  const params = new Map<string, tf.Tensor>();
  const derived: tf.Tensor[] = [];

  const host = (name: string): HostTensor => {
    const t = ckpt.tensors.get(name);
    if (!t) throw new FileFormatError(ckpt.path, `missing tensor '${name}' for a ${cfg.family} model`);
    return t;
  };
  const expectShape = (name: string, t: HostTensor, shape: number[]) => {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new FileFormatError(ckpt.path, `tensor '${name}' has shape [${t.shape}], expected [${shape}] from the config`);
  };
  const register = (key: string, t: tf.Tensor): tf.Tensor => {
    const p = trainable ? tf.variable(t, true, `${prefix}/${key}`) : t;
    if (trainable) t.dispose();
    params.set(key, p);
    return p;
  };
  const vector = (name: string, size: number): tf.Tensor1D => {
    const t = host(name);
    expectShape(name, t, [size]);
    return register(name, tf.tensor1d(t.data)) as tf.Tensor1D;
  };
  /** [out, in] host tensor (optionally a row range) → [in, out] device tensor. */
  const linearW = (src: LinearSource, out: number, inp: number): { w: tf.Tensor2D; b?: tf.Tensor1D } => {
    const t = host(src.weight);
    const [r0, r1] = src.rows ?? [0, t.shape[0]];
    if (t.shape.length !== 2 || t.shape[1] !== inp || r1 - r0 !== out || r1 > t.shape[0])
      throw new FileFormatError(
        ckpt.path,
        `tensor '${src.weight}' has shape [${t.shape}], expected [${src.rows ? `≥${r1}` : out}, ${inp}] ([out, in]) from the config`,
      );
    const key = src.rows ? `${src.weight}[${r0}:${r1}]` : src.weight;
    const w = register(key, tf.tidy(() => tf.tensor2d(t.data.subarray(r0 * inp, r1 * inp), [out, inp]).transpose())) as tf.Tensor2D;
    if (!src.bias) return { w };
    const bt = host(src.bias);
    if (bt.shape.length !== 1 || bt.shape[0] < r1)
      throw new FileFormatError(ckpt.path, `tensor '${src.bias}' has shape [${bt.shape}], expected [${out}]`);
    const bkey = src.rows ? `${src.bias}[${r0}:${r1}]` : src.bias;
    return { w, b: register(bkey, tf.tensor1d(bt.data.subarray(r0, r1))) as tf.Tensor1D };
  };
  const normW = (src: NormSource): NormWeights => ({
    weight: vector(src.weight, cfg.dModel),
    bias: src.bias ? vector(src.bias, cfg.dModel) : undefined,
  });

  const { dModel: d, vocab, heads, kvHeads, headDim: hd, ffnHidden: f } = cfg;
  const embedHost = host(source.embed);
  expectShape(source.embed, embedHost, [vocab, d]);
  const embed = register(source.embed, tf.tensor2d(embedHost.data, [vocab, d])) as tf.Tensor2D;
  let positions: tf.Tensor2D | undefined;
  if (source.positions) {
    const p = host(source.positions);
    expectShape(source.positions, p, [cfg.maxSeqLen, d]);
    positions = register(source.positions, tf.tensor2d(p.data, [cfg.maxSeqLen, d])) as tf.Tensor2D;
  }

  const layers = source.layers.map((ls): LayerWeights => {
    const q = linearW(ls.q, heads * hd, d);
    const k = linearW(ls.k, kvHeads * hd, d);
    const v = linearW(ls.v, kvHeads * hd, d);
    const o = linearW(ls.o, d, heads * hd);
    const attn: AttentionWeights = { q: q.w, k: k.w, v: v.w, o: o.w, qBias: q.b, kBias: k.b, vBias: v.b, oBias: o.b };
    let mlp: MlpWeights;
    if (cfg.mlp === 'swiglu') {
      if (!ls.gate) throw new Error(`family ${cfg.family}: swiglu needs a gate projection`);
      const gate = linearW(ls.gate, f, d).w;
      const up = linearW(ls.up, f, d).w;
      mlp = { kind: 'swiglu', gate, up, down: linearW(ls.down, d, f).w };
    } else {
      const fc1 = linearW(ls.up, f, d);
      const fc2 = linearW(ls.down, d, f);
      mlp = { kind: cfg.mlp, fc1: fc1.w, fc1Bias: fc1.b, fc2: fc2.w, fc2Bias: fc2.b };
    }
    return { attnNorm: normW(ls.attnNorm), mlpNorm: ls.mlpNorm ? normW(ls.mlpNorm) : undefined, attn, mlp };
  });

  const finalNorm = normW(source.finalNorm);
  let head: tf.Tensor2D | undefined;
  let headBias: tf.Tensor1D | undefined;
  if (source.head) {
    const h = linearW(source.head, vocab, d);
    head = h.w;
    headBias = h.b;
  } else {
    if (!trainable) {
      head = embed.transpose();
      derived.push(head);
    }
    if (source.tiedHeadBias) headBias = vector(source.tiedHeadBias, vocab);
  }
  return { weights: { embed, positions, layers, finalNorm, head, headBias }, params, derived };
}

export function configSummary(c: TransformerConfig): string {
  return `${c.family} d${c.dModel} L${c.layers} H${c.heads}/${c.kvHeads} hd${c.headDim} V${c.vocab} T${c.maxSeqLen}`;
}
