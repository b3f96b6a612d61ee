/**
 * Per-layer mixing matrices of one sample sequence for the report: the teacher's softmax attention and the
 * student's materialised SSM matrix, the latter computed on the teacher's hidden state entering the layer —
 * the pair stage 1 compares — so the picture shows what the matrix-orientation loss measures.
 */
import type { TransformerLM } from '../models/transformer.ts';
import type { Tokenizer } from '../io/tokenizers/index.ts';
import type { StudentLM } from '../student/model.ts';
import { tf } from '../tensor/backend.ts';
import type { HeatmapLayer, Heatmaps } from './data.ts';

export async function mixingHeatmaps(teacher: TransformerLM, student: StudentLM, tokenizer: Tokenizer, ids: readonly number[]): Promise<Heatmaps> {
  if (ids.length < 2) throw new RangeError('heatmaps: the sample sequence needs at least 2 tokens');
  const t = ids.length;
  const layers: HeatmapLayer[] = [];
  const pending: Promise<void>[] = [];
  const idsT = tf.tensor2d([Array.from(ids)], [1, t], 'int32');
  try {
    teacher.forward(idsT, {
      logits: false,
      capture: {
        input: true,
        probs: true,
        onLayer: (c) => {
          const l = c.layer;
          const kind = student.layers[l].kind;
          const matrix = kind === 'ssm' ? student.layerMatrix(l, c.input!) : undefined;
          const entry: HeatmapLayer = { layer: l, kind, teacher: '', teacherHeads: c.probs!.shape[1] };
          layers.push(entry);
          const probs = c.probs!;
          c.input!.dispose();
          pending.push(
            (async () => {
              entry.teacher = base64(await probs.data());
              probs.dispose();
              if (matrix) {
                entry.studentHeads = matrix.shape[1];
                entry.student = base64(await matrix.data());
                matrix.dispose();
              }
            })(),
          );
        },
      },
    });
    await Promise.all(pending);
  } finally {
    idsT.dispose();
  }
  const pieces = ids.map((id, i) => (i === 0 ? tokenizer.decodeAll([id]) : pieceAfter(tokenizer, ids[i - 1], id)));
  return { ids: Array.from(ids), pieces, length: t, layers };
}

/** A token's text as it prints after `prev` (llama2.c strips the leading space after BOS). */
function pieceAfter(tokenizer: Tokenizer, prev: number, id: number): string {
  if (tokenizer.decodeBytes) return new TextDecoder().decode(tokenizer.decodeBytes(prev, id));
  return tokenizer.decodeAll([id]);
}

function base64(data: ArrayLike<number> | Float32Array | Int32Array | Uint8Array): string {
  const f = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}
