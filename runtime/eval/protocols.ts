/**
 * Evaluation sequences from tokenized text (runtime/data):
 *  - 'paragraphs': each paragraph is its own sequence (BOS + paragraph), as in the golden protocol.
 *  - 'windows': the text as one token stream cut into consecutive windows of `window − 1` tokens, each
 *    evaluated as BOS + window tokens, so every text token is predicted exactly once and context resets at
 *    window boundaries.
 */
import type { TokenizedText } from '../data/tokenize.ts';

export const EVAL_PROTOCOLS = ['paragraphs', 'windows'] as const;
export type EvalProtocol = (typeof EVAL_PROTOCOLS)[number];

export function paragraphSequences(t: TokenizedText): Int32Array[] {
  const out: Int32Array[] = [];
  for (let i = 0; i + 1 < t.starts.length; i++) out.push(t.tokens.subarray(t.starts[i], t.starts[i + 1]));
  return out;
}

/** Cuts the stream (the sequences concatenated, their BOS tokens dropped) into BOS-led windows. */
export function windowSequences(t: TokenizedText, window: number, bos: number): Int32Array[] {
  if (!(window >= 2)) throw new RangeError(`window must be ≥ 2 tokens, got ${window}`);
  const body: number[] = [];
  for (let i = 0; i + 1 < t.starts.length; i++) {
    const start = t.tokens[t.starts[i]] === bos ? t.starts[i] + 1 : t.starts[i];
    for (let p = start; p < t.starts[i + 1]; p++) body.push(t.tokens[p]);
  }
  const out: Int32Array[] = [];
  for (let s = 0; s < body.length; s += window - 1) {
    const chunk = body.slice(s, s + window - 1);
    out.push(Int32Array.from([bos, ...chunk]));
  }
  return out;
}
