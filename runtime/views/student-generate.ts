/**
 * Recurrent decoding of a student, with the loop semantics of runtime/sample/generate.ts (llama2.c run.c's:
 * `steps` positions including the prompt's, prompt tokens forced, a sampled stop token ends the text).
 *
 * The prompt goes through the CHUNKED forward (the mixer's chunk length, with states passed between chunks) and
 * its final per-layer state — conv window + SSM state for SSM layers, keys/values for kept attention layers —
 * is handed to the one-token recurrence. There is no "whole prompt as one chunk" shortcut, so a long prompt
 * costs O(T·Q) and not O(T²). Each SSM layer's state has a fixed size; only kept attention layers grow.
 */
import { sampleToken, type Coin, type SamplingOptions } from '../sample/sampler.ts';
import type { StudentCache, StudentLM } from '../student/model.ts';
import { tf } from '../tensor/backend.ts';

export interface StudentGenerateOptions extends SamplingOptions {
  /** Positions to run, the prompt's included. ≤ 0: the model's maximum positions. */
  steps: number;
  coin: Coin;
  /** Token that ends the text when sampled (default 1, llama2.c BOS); null: never stop early. */
  stopToken?: number | null;
  onToken?: (prev: number, next: number) => void;
  /** Called after every decode step with the cache it produced (memory measurements). */
  onStep?: (position: number, cache: StudentCache) => void;
  /** Called with the logits row each token is chosen from and that row's position (tests). */
  onLogits?: (position: number, logits: Float32Array) => void;
}

export interface StudentGenerateResult {
  tokens: number[];
  sampled: number;
  stoppedAtToken: boolean;
}

/**
 * A student with kept attention layers is limited to the teacher's positions (RoPE tables, trained range); a
 * pure SSM student has no positional limit.
 */
export function maxStudentPositions(model: StudentLM): number {
  return model.layers.some((l) => l.kind === 'attention') ? model.config.maxSeqLen : Number.POSITIVE_INFINITY;
}

export async function generateStudent(model: StudentLM, prompt: readonly number[], opts: StudentGenerateOptions): Promise<StudentGenerateResult> {
  if (prompt.length === 0) throw new RangeError('generate: the prompt must hold at least one token (BOS)');
  const limit = maxStudentPositions(model);
  if (opts.steps <= 0 && !Number.isFinite(limit)) throw new RangeError('generate: a pure SSM student has no maximum length; give steps > 0');
  const steps = opts.steps <= 0 || opts.steps > limit ? limit : opts.steps;
  const stop = opts.stopToken === undefined ? 1 : opts.stopToken;
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

  const v = model.config.vocab;
  const first = model.forward([prompt.slice()], { cache: true });
  let cache = first.cache!;
  let logits: tf.Tensor = tf.tidy(() => first.logits!.slice([0, prompt.length - 1, 0], [1, 1, v]).reshape([v]));
  first.logits!.dispose();
  let sampled = 0;
  try {
    for (;;) {
      const row = (await logits.data()) as Float32Array;
      logits.dispose();
      opts.onLogits?.(pos, row);
      const next = sampleToken(row, opts, opts.coin);
      pos++;
      if (next === stop) return { tokens, sampled, stoppedAtToken: true };
      emit(next);
      sampled++;
      if (pos >= steps) return { tokens, sampled, stoppedAtToken: false };
      const s = model.step([next], cache);
      cache = s.cache;
      logits = s.logits;
      opts.onStep?.(pos, cache);
    }
  } finally {
    if (!logits.isDisposed) logits.dispose();
    disposeStudentCache(cache);
  }
}

export function disposeStudentCache(cache: StudentCache): void {
  for (const c of cache.layers) tf.dispose(Object.values(c) as tf.Tensor[]);
}

/** Bytes of decode state per layer (float32 tensors): constant for SSM layers, growing for attention layers. */
export function cacheBytesPerLayer(cache: StudentCache): number[] {
  return cache.layers.map((c) => (Object.values(c) as tf.Tensor[]).reduce((n, t) => n + t.size * 4, 0));
}
