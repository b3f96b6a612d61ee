/**
 * Per-layer distances between student and teacher on held-out windows, with the training objectives' own
 * loss functions (runtime/stages/losses.ts), each layer fed the TEACHER's hidden state entering it:
 *   stage 1: ‖M_ℓ − A_ℓ‖_F per (window, head), not squared, mean — SSM layers only;
 *   stage 2: ‖out_ℓ − target_ℓ‖₂ per token, not squared, mean — every layer (block output vs h_{ℓ+1}, or with
 *            target 'mixer' the mixer output vs the attention output).
 * Windows all have one length (the stages' seq_len): the Frobenius norm of a T×T matrix grows with T, so only
 * same-length windows give numbers comparable to the training losses. Batch means are weighted by rows, so
 * the result does not depend on how windows are batched.
 */
import type { TransformerLM } from '../models/transformer.ts';
import { alignmentLoss, frobeniusLoss } from '../stages/losses.ts';
import type { StudentLM } from '../student/model.ts';
import { tf } from '../tensor/backend.ts';

export interface LayerDistance {
  layer: number;
  kind: 'ssm' | 'attention';
  /** Stage-1 distance (undefined for kept attention layers: they have no mixing matrix to orient). */
  matrix?: number;
  /** Stage-2 distance (undefined for a kept attention layer when the target is 'mixer': it is the teacher's own). */
  hidden?: number;
}

export interface DistanceOptions {
  /** Windows per forward pass (default 8). */
  microBatch?: number;
  /** What stage 2 compares (default 'block', the reference's choice). */
  target?: 'block' | 'mixer';
  onProgress?: (done: number, total: number) => void;
}

export interface DistanceResult {
  layers: LayerDistance[];
  windows: number;
  seqLen: number;
  target: 'block' | 'mixer';
}

export async function layerDistances(
  teacher: TransformerLM,
  student: StudentLM,
  windows: readonly ArrayLike<number>[],
  opts: DistanceOptions = {},
): Promise<DistanceResult> {
  if (windows.length === 0) throw new RangeError('layer distances: no windows');
  const seqLen = windows[0].length;
  for (const [i, w] of windows.entries())
    if (w.length !== seqLen) throw new RangeError(`layer distances: window ${i} has ${w.length} tokens, the first has ${seqLen}`);
  const target = opts.target ?? 'block';
  const micro = opts.microBatch ?? 8;
  const L = student.layers.length;
  const matrixSum = new Float64Array(L);
  const hiddenSum = new Float64Array(L);
  for (let start = 0; start < windows.length; start += micro) {
    const rows = windows.slice(start, start + micro);
    const ids = tf.tensor2d(
      rows.flatMap((w) => Array.from(w)),
      [rows.length, seqLen],
      'int32',
    );
    const terms: tf.Scalar[] = [];
    const order: { layer: number; what: 'matrix' | 'hidden' }[] = [];
    try {
      teacher.forward(ids, {
        logits: false,
        capture: {
          input: true,
          probs: true,
          output: target === 'block',
          attnOut: target === 'mixer',
          // Each layer's T×T matrices are reduced to scalars before the next layer runs.
          onLayer: (c) => {
            const l = c.layer;
            try {
              if (student.layers[l].kind === 'ssm') {
                terms.push(tf.tidy(() => frobeniusLoss(student.layerMatrix(l, c.input!), c.probs!)));
                order.push({ layer: l, what: 'matrix' });
              }
              if (target === 'block') terms.push(tf.tidy(() => alignmentLoss(student.layerBlock(l, c.input!), c.output!)));
              else if (student.layers[l].kind === 'ssm') terms.push(tf.tidy(() => alignmentLoss(student.layerMixer(l, c.input!), c.attnOut!)));
              else return;
              order.push({ layer: l, what: 'hidden' });
            } finally {
              for (const t of [c.input, c.probs, c.output, c.attnOut]) t?.dispose();
            }
          },
        },
      });
      const values = tf.stack(terms);
      const host = (await values.data()) as Float32Array;
      values.dispose();
      order.forEach((o, i) => {
        (o.what === 'matrix' ? matrixSum : hiddenSum)[o.layer] += host[i] * rows.length;
      });
    } finally {
      ids.dispose();
      tf.dispose(terms);
    }
    opts.onProgress?.(Math.min(start + micro, windows.length), windows.length);
  }
  const n = windows.length;
  const layers: LayerDistance[] = student.layers.map((layer, l) => ({
    layer: l,
    kind: layer.kind,
    matrix: layer.kind === 'ssm' ? matrixSum[l] / n : undefined,
    hidden: target === 'block' || layer.kind === 'ssm' ? hiddenSum[l] / n : undefined,
  }));
  return { layers, windows: n, seqLen, target };
}

/**
 * Consecutive windows of `seqLen` tokens cut from a token stream (the held-out paragraphs joined, their BOS
 * tokens kept, as training windows are cut from the training stream); a short tail is dropped.
 */
export function streamWindows(stream: Int32Array, seqLen: number, max?: number): Int32Array[] {
  if (!(Number.isInteger(seqLen) && seqLen >= 1)) throw new RangeError(`window length must be a positive integer, got ${seqLen}`);
  const out: Int32Array[] = [];
  for (let s = 0; s + seqLen <= stream.length && (max === undefined || out.length < max); s += seqLen) out.push(stream.subarray(s, s + seqLen));
  return out;
}
