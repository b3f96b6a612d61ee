/**
 * Mean next-token negative log-likelihood of a teacher over token sequences, batched with padding.
 * Each sequence is scored on its own (positions restart at 0): for p in 0..len−2,
 * nll[p] = logsumexp(logits[p]) − logits[p][seq[p+1]]; the mean is over every predicted token.
 * Per-token values come back from the device and are summed on the host in float64.
 */
import type { TransformerLM } from '../models/transformer.ts';
import { tf } from '../tensor/backend.ts';
import { planBatches, type PlannedBatch } from './batches.ts';

export interface EvalResult {
  /** Nats per predicted token. */
  meanNll: number;
  perplexity: number;
  /** Tokens in the evaluated sequences (BOS included). */
  tokens: number;
  /** Tokens predicted (each sequence's length − 1). */
  predicted: number;
  sequences: number;
}

export interface EvalOptions {
  batchTokens?: number;
  attentionElements?: number;
  /** Called after each batch with the sequences done so far. */
  onProgress?: (done: number, total: number) => void;
}

export async function evaluateSequences(model: TransformerLM, sequences: readonly ArrayLike<number>[], opts: EvalOptions = {}): Promise<EvalResult> {
  const lengths = sequences.map((s) => s.length);
  for (const [i, n] of lengths.entries()) if (n < 1) throw new RangeError(`sequence ${i} is empty`);
  const plan = planBatches(lengths, {
    batchTokens: opts.batchTokens,
    attentionElements: opts.attentionElements,
    maxLength: model.config.maxSeqLen,
    heads: model.config.heads,
  });
  let sum = 0;
  let predicted = 0;
  let done = 0;
  for (const batch of plan) {
    const nll = await batchNll(model, sequences, batch);
    const t = batch.length;
    batch.rows.forEach((seq, r) => {
      for (let p = 0; p < lengths[seq] - 1; p++) sum += nll[r * t + p];
      predicted += lengths[seq] - 1;
    });
    done += batch.rows.length;
    opts.onProgress?.(done, sequences.length);
  }
  const meanNll = predicted > 0 ? sum / predicted : NaN;
  return {
    meanNll,
    perplexity: Math.exp(meanNll),
    tokens: lengths.reduce((a, b) => a + b, 0),
    predicted,
    sequences: sequences.length,
  };
}

/** Per-position nll [B, T] (flattened) of one padded batch; entries past each row's length − 1 are junk. */
async function batchNll(model: TransformerLM, sequences: readonly ArrayLike<number>[], batch: PlannedBatch): Promise<Float32Array> {
  const b = batch.rows.length;
  const t = batch.length;
  const v = model.config.vocab;
  const ids = new Int32Array(b * t);
  const targetIdx = new Int32Array(b * t);
  batch.rows.forEach((seq, r) => {
    const s = sequences[seq];
    for (let p = 0; p < s.length; p++) ids[r * t + p] = s[p];
    // Flat index of the logit of the next token; padded positions point at their own row's token 0.
    for (let p = 0; p < t; p++) targetIdx[r * t + p] = (r * t + p) * v + (p + 1 < s.length ? s[p + 1] : 0);
  });
  const idsT = tf.tensor2d(ids, [b, t], 'int32');
  // Padding sits after each row's tokens, so the causal mask alone keeps it out of every scored position;
  // a per-row length mask would only change the (discarded) padded rows.
  const out = model.forward(idsT);
  idsT.dispose();
  const nll = tf.tidy(() => {
    const logits = out.logits!;
    const lse = tf.logSumExp(logits, -1).reshape([b * t]);
    const target = tf.gather(logits.reshape([b * t * v]), tf.tensor1d(targetIdx, 'int32'));
    return lse.sub(target);
  });
  out.logits!.dispose();
  const data = (await nll.data()) as Float32Array;
  nll.dispose();
  return data;
}
