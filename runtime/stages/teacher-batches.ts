/**
 * Micro-batches with the teacher's side attached: one frozen teacher pass per micro-batch, run when the batch
 * is drawn — outside the gradient scope, so none of the teacher's work is recorded on the tape — capturing
 * only what the stage needs (per-layer inputs/outputs/attention, or output probabilities). The cursor is the
 * token source's, so checkpoints and resume see a plain data source.
 */
import type { Batch } from '../data/batches.ts';
import type { TransformerLM } from '../models/transformer.ts';
import type { DataSource } from '../run/loop.ts';
import { tf } from '../tensor/backend.ts';
import type { TeacherBatch, TeacherNeeds } from './context.ts';

export class TeacherBatchSource implements DataSource<TeacherBatch> {
  constructor(
    private readonly tokens: DataSource<Batch>,
    private readonly teacher: TransformerLM,
    private readonly needs: TeacherNeeds,
  ) {}

  state(): unknown {
    return this.tokens.state();
  }

  restore(state: unknown): void {
    this.tokens.restore(state);
  }

  async next(): Promise<TeacherBatch> {
    return teacherBatch(this.teacher, await this.tokens.next(), this.needs);
  }

  release(b: TeacherBatch): void {
    disposeTeacherBatch(b);
  }
}

export function teacherBatch(teacher: TransformerLM, tokens: Batch, needs: TeacherNeeds): TeacherBatch {
  const L = teacher.config.layers;
  const out: TeacherBatch = { tokens, ids: tf.tensor2d(tokens.inputs, [tokens.batch, tokens.seqLen], 'int32'), inputs: new Array(L), outputs: new Array(L), attnOut: new Array(L), probs: new Array(L) };
  const perLayer = needs.inputs || needs.outputs || needs.attnOut || needs.probs;
  const wanted = new Set(needs.layers);
  const r = teacher.forward(out.ids, {
    logits: !!needs.targetProbs,
    capture: perLayer
      ? {
          layers: (l) => wanted.has(l),
          input: needs.inputs,
          output: needs.outputs,
          attnOut: needs.attnOut,
          probs: needs.probs,
          onLayer: (c) => {
            out.inputs[c.layer] = c.input;
            out.outputs[c.layer] = c.output;
            out.attnOut[c.layer] = c.attnOut;
            out.probs[c.layer] = c.probs;
          },
        }
      : undefined,
  });
  if (r.logits) {
    const v = teacher.config.vocab;
    out.targetProbs = tf.tidy(() => tf.softmax(r.logits!.reshape([-1, v]))) as tf.Tensor2D;
    r.logits.dispose();
  }
  if (needs.targets) out.targets = tf.tensor1d(tokens.targets, 'int32');
  return out;
}

export function disposeTeacherBatch(b: TeacherBatch): void {
  const all: (tf.Tensor | undefined)[] = [b.ids, ...b.inputs, ...b.outputs, ...b.attnOut, ...b.probs, b.targetProbs, b.targets];
  for (const t of all) if (t && !t.isDisposed) t.dispose();
}
