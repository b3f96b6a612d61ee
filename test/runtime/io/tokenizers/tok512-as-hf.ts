/**
 * Converts a llama2.c tokenizer to a Llama-2-style tokenizer.json the way transformers' LlamaConverter does
 * (SentencePieceExtractor: merges = every split of a piece into two vocabulary pieces, ranked by the piece's
 * score, ties by the parts' ids; normalizer Prepend ▁ + Replace " " → ▁; BPE with byte fallback).
 */
import type { Llama2cTokenizer } from '../../../../runtime/io/tokenizers/llama2c.ts';

export function llama2cToTokenizerJson(t: Llama2cTokenizer): object {
  const dec = new TextDecoder();
  const pieces = t.pieces.map((p, i) => (i < 3 ? ['<unk>', '<s>', '</s>'][i] : dec.decode(p).replaceAll(' ', '▁')));
  const vocab: Record<string, number> = {};
  pieces.forEach((p, i) => {
    vocab[p] = i;
  });
  const merges: [string, string, number][] = [];
  for (let id = 259; id < pieces.length; id++) {
    const cps = [...pieces[id]];
    const local: [string, string, number][] = [];
    for (let k = 1; k < cps.length; k++) {
      const l = cps.slice(0, k).join('');
      const r = cps.slice(k).join('');
      if (l in vocab && r in vocab) local.push([l, r, t.scores[id]]);
    }
    local.sort((a, b) => vocab[a[0]] - vocab[b[0]] || vocab[a[1]] - vocab[b[1]]);
    merges.push(...local);
  }
  merges.sort((a, b) => b[2] - a[2]);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [0, 1, 2].map((id) => ({ id, content: pieces[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: merges.map(([a, b]) => [a, b]),
    },
  };
}
