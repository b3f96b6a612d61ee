/**
 * Teacher and student on the same held-out sequences, in one pass per batch: each model's mean NLL and
 * perplexity, the fraction of positions where their top-1 next tokens agree, and KL(teacher‖student) per
 * token, Σ_v p_t(v)·(log p_t(v) − log p_s(v)), in nats. Positions are the predicted ones of the NLL protocol
 * (0 … len−2 of every sequence), so all four numbers describe the same tokens.
 *
 * Batching is runtime/eval's (length-sorted, right-padded): padding after a row's tokens cannot reach its
 * scored positions (causal attention, causal SSM). Per-position values come back as float32 and are summed on
 * the host in float64.
 */
import { planBatches, type PlannedBatch } from '../eval/batches.ts';
import type { TransformerLM } from '../models/transformer.ts';
import type { StudentLM } from '../student/model.ts';
import { tf } from '../tensor/backend.ts';

export interface NllStats {
  /** Nats per predicted token. */
  meanNll: number;
  perplexity: number;
}

export interface PairStats {
  teacher: NllStats;
  student: NllStats;
  /** Fraction of predicted positions where argmax teacher = argmax student. */
  top1Agreement: number;
  /** Mean KL(teacher‖student) per predicted token, nats. */
  klPerToken: number;
  tokens: number;
  predicted: number;
  sequences: number;
}

export interface CompareOptions {
  batchTokens?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function compareOnSequences(
  teacher: TransformerLM,
  student: StudentLM,
  sequences: readonly ArrayLike<number>[],
  opts: CompareOptions = {},
): Promise<PairStats> {
  if (teacher.config.vocab !== student.config.vocab)
    throw new RangeError(`teacher vocabulary ${teacher.config.vocab} ≠ student vocabulary ${student.config.vocab}`);
  const lengths = sequences.map((s) => s.length);
  for (const [i, n] of lengths.entries()) if (n < 1) throw new RangeError(`sequence ${i} is empty`);
  const plan = planBatches(lengths, { batchTokens: opts.batchTokens, maxLength: teacher.config.maxSeqLen, heads: teacher.config.heads });
  const sums = { nllT: 0, nllS: 0, kl: 0, agree: 0 };
  let predicted = 0;
  let done = 0;
  for (const batch of plan) {
    const r = await batchStats(teacher, student, sequences, batch);
    const t = batch.length;
    batch.rows.forEach((seq, row) => {
      for (let p = 0; p < lengths[seq] - 1; p++) {
        const i = row * t + p;
        sums.nllT += r.nllT[i];
        sums.nllS += r.nllS[i];
        sums.kl += r.kl[i];
        sums.agree += r.agree[i];
      }
      predicted += lengths[seq] - 1;
    });
    done += batch.rows.length;
    opts.onProgress?.(done, sequences.length);
  }
  const mean = (x: number) => (predicted > 0 ? x / predicted : NaN);
  const stats = (nll: number): NllStats => ({ meanNll: mean(nll), perplexity: Math.exp(mean(nll)) });
  return {
    teacher: stats(sums.nllT),
    student: stats(sums.nllS),
    top1Agreement: mean(sums.agree),
    klPerToken: mean(sums.kl),
    tokens: lengths.reduce((a, b) => a + b, 0),
    predicted,
    sequences: sequences.length,
  };
}

interface BatchValues {
  nllT: Float32Array;
  nllS: Float32Array;
  kl: Float32Array;
  agree: Float32Array;
}

async function batchStats(teacher: TransformerLM, student: StudentLM, sequences: readonly ArrayLike<number>[], batch: PlannedBatch): Promise<BatchValues> {
  const b = batch.rows.length;
  const t = batch.length;
  const v = teacher.config.vocab;
  const ids = new Int32Array(b * t);
  const next = new Int32Array(b * t);
  batch.rows.forEach((seq, r) => {
    const s = sequences[seq];
    for (let p = 0; p < s.length; p++) ids[r * t + p] = s[p];
    for (let p = 0; p + 1 < s.length; p++) next[r * t + p] = s[p + 1];
  });
  const lengths = batch.rows.map((seq) => sequences[seq].length);
  const idsT = tf.tensor2d(ids, [b, t], 'int32');
  const outT = teacher.forward(idsT);
  const outS = student.forward(idsT, { lengths });
  idsT.dispose();
  const values = tf.tidy(() => {
    const lt = tf.logSoftmax(outT.logits!.reshape([b * t, v]));
    const ls = tf.logSoftmax(outS.logits!.reshape([b * t, v]));
    const target = tf.oneHot(tf.tensor1d(next, 'int32'), v).toFloat();
    const nllT = lt.mul(target).sum(1).neg();
    const nllS = ls.mul(target).sum(1).neg();
    const kl = tf.exp(lt).mul(lt.sub(ls)).sum(1);
    const agree = tf.equal(tf.argMax(lt, 1), tf.argMax(ls, 1)).toFloat();
    // One read for all four: each download is a device synchronisation on webgpu.
    return tf.stack([nllT, nllS, kl, agree]);
  });
  outT.logits!.dispose();
  outS.logits!.dispose();
  const all = (await values.data()) as Float32Array;
  values.dispose();
  const n = b * t;
  return { nllT: all.subarray(0, n), nllS: all.subarray(n, 2 * n), kl: all.subarray(2 * n, 3 * n), agree: all.subarray(3 * n, 4 * n) };
}
