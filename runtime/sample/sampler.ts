/**
 * Next-token choice from a row of logits: greedy (temperature 0), temperature, and top-p (nucleus), with the
 * float32 arithmetic of llama2.c run.c (temperature division, softmax, cumulative sums and the top-p cut-off
 * all rounded to float32) so that, given the same coins, the same token comes out.
 */
const f = Math.fround;

export interface SamplingOptions {
  /** 0 = greedy argmax. */
  temperature: number;
  /** Nucleus mass in (0, 1); ≤ 0 or ≥ 1 samples from the full distribution. */
  topP: number;
}

/** A source of uniform coins in [0, 1): XorShiftRng.float (run.c's) or the training Rng's float. */
export type Coin = () => number;

/** First index of the maximum (run.c's sample_argmax: strict >, so the lowest id wins ties). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** float32 softmax of logits / temperature (run.c: divide, subtract the max, expf, sum, divide). */
export function probabilities(logits: ArrayLike<number>, temperature: number): Float32Array {
  const n = logits.length;
  const t = f(temperature);
  const p = new Float32Array(n);
  for (let i = 0; i < n; i++) p[i] = f(logits[i] / t);
  let max = p[0];
  for (let i = 1; i < n; i++) if (p[i] > max) max = p[i];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    p[i] = Math.exp(f(p[i] - max));
    sum = f(sum + p[i]);
  }
  for (let i = 0; i < n; i++) p[i] = f(p[i] / sum);
  return p;
}

/** Multinomial draw: the first i whose float32 running cdf exceeds the coin. */
export function sampleMultinomial(p: Float32Array, coin: number): number {
  let cdf = 0;
  for (let i = 0; i < p.length; i++) {
    cdf = f(cdf + p[i]);
    if (coin < cdf) return i;
  }
  return p.length - 1;
}

/**
 * Nucleus draw: keep the most probable tokens until their mass exceeds topP (tokens below
 * (1 − topP)/(n − 1) can never be in the set and are skipped before sorting), then draw within them.
 * The sort is stable, as glibc's qsort (a merge sort) is for arrays this size.
 */
export function sampleTopP(p: Float32Array, topP: number, coin: number): number {
  const n = p.length;
  const cutoff = f(f(1 - f(topP)) / (n - 1));
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (p[i] >= cutoff) idx.push(i);
  idx.sort((a, b) => p[b] - p[a]);
  let cum = 0;
  let last = idx.length - 1;
  for (let i = 0; i < idx.length; i++) {
    cum = f(cum + p[idx[i]]);
    if (cum > f(topP)) {
      last = i;
      break;
    }
  }
  const r = f(coin * cum);
  let cdf = 0;
  for (let i = 0; i <= last; i++) {
    cdf = f(cdf + p[idx[i]]);
    if (r < cdf) return idx[i];
  }
  return idx[last];
}

/** One token from one row of logits. Draws exactly one coin unless greedy (as run.c). */
export function sampleToken(logits: ArrayLike<number>, opts: SamplingOptions, coin: Coin): number {
  if (opts.temperature === 0) return argmax(logits);
  if (!(opts.temperature > 0)) throw new RangeError(`temperature must be ≥ 0, got ${opts.temperature}`);
  const p = probabilities(logits, opts.temperature);
  const c = coin();
  return opts.topP <= 0 || opts.topP >= 1 ? sampleMultinomial(p, c) : sampleTopP(p, opts.topP, c);
}
