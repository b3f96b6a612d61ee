/**
 * Decoding loops over a TransformerLM with its KV cache.
 *
 * `generate` follows llama2.c run.c's loop exactly: `steps` counts positions including the prompt's, prompt
 * tokens are forced, one token is sampled per remaining position, and a sampled BOS ends the text (BOS
 * delimits sequences). The prompt is prefilled in one forward pass instead of token by token (the same
 * numbers, see the KV-cache tests in test/runtime/models).
 */
import type { TransformerLM } from '../models/transformer.ts';
import { tf } from '../tensor/backend.ts';
import { sampleToken, type Coin, type SamplingOptions } from './sampler.ts';

export interface GenerateOptions extends SamplingOptions {
  /** Positions to run, the prompt's included (run.c's -n). ≤ 0 or above the model's maximum: the maximum. */
  steps: number;
  coin: Coin;
  /** Token that ends the text when sampled (default 1, llama2.c BOS). */
  stopToken?: number;
  /** Called for every token that follows `prev` in the output (prompt tokens after the first included). */
  onToken?: (prev: number, next: number) => void;
}

export interface GenerateResult {
  /** The whole sequence: prompt, then sampled tokens (the stop token excluded). */
  tokens: number[];
  /** How many tokens were sampled (not forced from the prompt). */
  sampled: number;
  stoppedAtToken: boolean;
}

export async function generate(model: TransformerLM, prompt: readonly number[], opts: GenerateOptions): Promise<GenerateResult> {
  if (prompt.length === 0) throw new RangeError('generate: the prompt must hold at least one token (BOS)');
  const max = model.config.maxSeqLen;
  const steps = opts.steps <= 0 || opts.steps > max ? max : opts.steps;
  const stop = opts.stopToken ?? 1;
  const tokens = [prompt[0]];
  const emit = (next: number) => {
    opts.onToken?.(tokens[tokens.length - 1], next);
    tokens.push(next);
  };
  let pos = 0;
  for (; pos < Math.min(steps, prompt.length - 1); pos++) {
    const next = prompt[pos + 1];
    if (next === stop) return { tokens, sampled: 0, stoppedAtToken: true };
    emit(next);
  }
  if (pos >= steps) return { tokens, sampled: 0, stoppedAtToken: false };

  const first = model.forward([prompt.slice()], { cache: true });
  let cache = first.cache!;
  let logits = tf.tidy(() => first.logits!.slice([0, prompt.length - 1, 0], [1, 1, model.config.vocab]).reshape([model.config.vocab]));
  first.logits!.dispose();
  let sampled = 0;
  try {
    for (;;) {
      const row = await logits.data();
      logits.dispose();
      const next = sampleToken(row, opts, opts.coin);
      pos++;
      if (next === stop) return { tokens, sampled, stoppedAtToken: true };
      emit(next);
      sampled++;
      if (pos >= steps) return { tokens, sampled, stoppedAtToken: false };
      const s = model.step([next], cache);
      cache = s.cache;
      logits = s.logits;
    }
  } finally {
    if (!logits.isDisposed) logits.dispose();
    tf.dispose([...cache.k, ...cache.v]);
  }
}

export interface SampleSequencesOptions extends SamplingOptions {
  /** Rows decoded together. */
  batch: number;
  /** Tokens per row, the leading start token included (≤ the model's maximum positions). */
  length: number;
  coin: Coin;
  /** First token of every row (default 1, BOS). */
  startToken?: number;
}

/**
 * Free-running samples for distillation data: `batch` rows from the start token, each exactly `length`
 * tokens. A sampled BOS does not stop a row — it starts the next story inside the same window, as in the
 * teacher's own training data. Coins are drawn row by row within a position, so a seed fixes the output.
 */
export async function sampleSequences(model: TransformerLM, opts: SampleSequencesOptions): Promise<Int32Array[]> {
  const { batch, length } = opts;
  if (!(length >= 1 && length <= model.config.maxSeqLen))
    throw new RangeError(`sampleSequences: length ${length} not in 1..${model.config.maxSeqLen}`);
  const V = model.config.vocab;
  const rows = Array.from({ length: batch }, () => new Int32Array(length));
  const start = opts.startToken ?? 1;
  for (const r of rows) r[0] = start;
  if (length === 1) return rows;
  const first = model.forward([...rows.map(() => [start])], { cache: true });
  let cache = first.cache!;
  let logits = first.logits!.reshape([batch, V]) as tf.Tensor2D;
  first.logits!.dispose();
  try {
    for (let pos = 1; pos < length; pos++) {
      const all = await logits.data();
      logits.dispose();
      const next = rows.map((r, b) => (r[pos] = sampleToken(all.subarray(b * V, (b + 1) * V), opts, opts.coin)));
      if (pos === length - 1) break;
      const s = model.step(next, cache);
      cache = s.cache;
      logits = s.logits;
    }
  } finally {
    if (!logits.isDisposed) logits.dispose();
    tf.dispose([...cache.k, ...cache.v]);
  }
  return rows;
}
