/**
 * One teacher layer's softmax attention probabilities [B, H, T, T] from the hidden state entering the layer:
 * the block's first norm, then the attention of runtime/models/blocks.ts (projections, RoPE, GQA, causal
 * softmax) with the teacher's weights. Stage 1 recomputes them per layer from captured inputs ([B, T, D]
 * each) instead of keeping every layer's T×T matrices from the teacher pass.
 */
import type { TransformerLM } from '../models/transformer.ts';
import { causalAttentionProbs, causalMask, norm, ropeConstants, type RopeConstants } from '../models/blocks.ts';
import { tf } from '../tensor/backend.ts';

const ropes = new WeakMap<TransformerLM, RopeConstants>();

function ropeOf(teacher: TransformerLM): RopeConstants | undefined {
  const c = teacher.config;
  if (c.positions !== 'rope') return undefined;
  let r = ropes.get(teacher);
  if (!r) {
    r = ropeConstants({ headDim: c.headDim, rotaryDim: c.rotaryDim ?? c.headDim, theta: c.ropeTheta ?? 10000, layout: c.ropeLayout ?? 'half' }, c.maxSeqLen);
    // First use is often inside a gradient scope (a stage-1 loss term), which would dispose them at its end.
    tf.keep(r.cos);
    tf.keep(r.sin);
    tf.keep(r.rotation);
    ropes.set(teacher, r);
  }
  return r;
}

export function teacherAttentionProbs(teacher: TransformerLM, layer: number, hidden: tf.Tensor3D): tf.Tensor4D {
  const rope = ropeOf(teacher);
  return tf.tidy((): tf.Tensor4D => {
    const c = teacher.config;
    const [b, t, d] = hidden.shape;
    const w = teacher.weights.layers[layer];
    if (!w) throw new RangeError(`the teacher has no layer ${layer}`);
    const u = norm(c.norm, hidden.reshape([b * t, d]) as tf.Tensor2D, w.attnNorm, c.normEps);
    // Probabilities only: no values, context or output projection (their work was ~100 ms per micro-batch).
    return causalAttentionProbs(u, w.attn, teacher.attentionShape, { batch: b, rope, mask: causalMask(t) });
  });
}
