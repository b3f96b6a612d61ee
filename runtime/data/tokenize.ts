/**
 * Text → token sequences under a named protocol. Every protocol starts each sequence with BOS; they differ in
 * where sequences begin:
 *  - 'paragraphs': one sequence per paragraph (split on blank lines, stripped; shared/golden/README.md) —
 *    the evaluation protocol behind the teacher's 1.681082 nats/token on valid.txt.
 *  - 'lines': one sequence per non-empty stripped line (the reference recipe's training stream; concatenated,
 *    train.txt gives 468,511 tokens).
 *  - 'windows': the whole text as one sequence, to be cut into fixed windows (windows.ts).
 * The result is flat: all tokens concatenated plus sequence start offsets, cheap to cache and to sample from.
 */
import type { Tokenizer } from '../io/tokenizers/index.ts';
import { FileFormatError } from '../io/types.ts';
import { splitLines, splitParagraphs } from './text.ts';

export const TEXT_PROTOCOLS = ['paragraphs', 'lines', 'windows'] as const;
export type TextProtocol = (typeof TEXT_PROTOCOLS)[number];

export interface TokenizedText {
  protocol: TextProtocol;
  /** Every sequence's tokens, concatenated (each sequence starts with BOS). */
  tokens: Int32Array;
  /** Sequence i is tokens[starts[i] .. starts[i+1]); length = sequences + 1. */
  starts: Int32Array;
}

export function segmentsFor(text: string, protocol: TextProtocol): string[] {
  switch (protocol) {
    case 'paragraphs':
      return splitParagraphs(text);
    case 'lines':
      return splitLines(text);
    case 'windows':
      return text.length > 0 ? [text] : [];
  }
}

export function tokenizeText(text: string, tokenizer: Tokenizer, protocol: TextProtocol): TokenizedText {
  if (tokenizer.bos === undefined) throw new FileFormatError(tokenizer.file, 'has no BOS token, which every text protocol needs');
  const segments = segmentsFor(text, protocol);
  const encoded = segments.map((s) => tokenizer.encode(s, { bos: true }));
  const total = encoded.reduce((a, e) => a + e.length, 0);
  const tokens = new Int32Array(total);
  const starts = new Int32Array(encoded.length + 1);
  let off = 0;
  encoded.forEach((e, i) => {
    starts[i] = off;
    tokens.set(e, off);
    off += e.length;
  });
  starts[encoded.length] = off;
  return { protocol, tokens, starts };
}

/** Sequence i as a view (no copy). */
export function sequenceAt(t: TokenizedText, i: number): Int32Array {
  return t.tokens.subarray(t.starts[i], t.starts[i + 1]);
}

export function sequenceCount(t: TokenizedText): number {
  return t.starts.length - 1;
}
