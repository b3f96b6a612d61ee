import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitParagraphs } from '../../../../runtime/data/text.ts';
import { loadHfTokenizer } from '../../../../runtime/io/tokenizers/hf.ts';
import { loadTokenizer } from '../../../../runtime/io/tokenizers/index.ts';
import { loadLlama2cTokenizer } from '../../../../runtime/io/tokenizers/llama2c.ts';
import { TOKENIZER_BIN, VALID_TXT } from '../../../helpers/paths.ts';
import { formatError, tempDir } from '../helpers.ts';
import { llama2cToTokenizerJson } from './tok512-as-hf.ts';

const dir = tempDir();
function tokenizerDir(name: string, json: object, config?: object): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(json));
  if (config) writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify(config));
  return d;
}

/** GPT-2's bytes_to_unicode table, written out from its definition. */
function bytesToUnicode(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = printable(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  return out;
}

describe('HF byte-level BPE (GPT-2 style) with hand-derived ids', () => {
  const b2u = bytesToUnicode();
  // Byte-level base vocabulary in byte order: the char for byte b has id b.
  const vocab: Record<string, number> = {};
  b2u.forEach((c, b) => {
    vocab[c] = b;
  });
  const merges = [['h', 'e'], ['l', 'l'], ['he', 'll'], ['Ġ', 'w'], ['o', 'r'], ['Ġw', 'or'], ['Ã', '©']];
  merges.forEach(([a, b], i) => {
    vocab[a + b] = 256 + i;
  });
  const json = {
    version: '1.0',
    added_tokens: [{ id: 263, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: merges.map((m) => m.join(' ')) },
  };
  const d = tokenizerDir('gpt2', json);

  it('encodes with the merges in rank order, across pre-tokenized words, and decodes back', () => {
    const t = loadTokenizer(d);
    expect(t.kind).toBe('hf');
    expect(t.vocabSize).toBe(264);
    // "hello" → he+ll (258) then "o" (111); " world" → Ġwor (261) l (108) d (100); "é" = C3 A9 → Ã© (262).
    // " é" is one pre-token "ĠÃ©": Ã+© merge (262), Ġ (byte 0x20 → id 32) has no merge with it.
    expect(t.encode('hello world é')).toEqual([258, 111, 261, 108, 100, 32, 262]);
    expect(t.decodeAll(t.encode('hello world é'))).toBe('hello world é');
    // GPT-2 has one special token for both ends.
    expect(t.bos).toBe(263);
    expect(t.encode('hello', { bos: true, eos: true })).toEqual([263, 258, 111, 263]);
    expect(t.decodeAll([263, 258, 111, 263])).toBe('hello');
    expect(Buffer.from(t.decodeAllBytes(t.encode('world é'))).toString('utf8')).toBe('world é');
    expect(t.decodeBytes).toBeUndefined();
    expect(t.hash).toBe(createHash('sha256').update(readFileSync(join(d, 'tokenizer.json'))).digest('hex'));
  });
});

describe('HF SentencePiece-style BPE (Llama-2) ≡ run.c on tok512', () => {
  const llama = loadLlama2cTokenizer(TOKENIZER_BIN);
  const d = tokenizerDir('tok512-hf', llama2cToTokenizerJson(llama), { bos_token: '<s>', eos_token: { content: '</s>' } });
  const hf = loadHfTokenizer(d);

  it('hand-derived ids on a short text: dummy prefix ▁, byte fallback, BOS/EOS from tokenizer_config.json', () => {
    expect([hf.bos, hf.eos, hf.vocabSize]).toEqual([1, 2, 512]);
    // tok512 has the piece " Once" (403) and " " (410); "🙂" is not a piece: its UTF-8 bytes F0 9F 99 82 + 3.
    const ids = hf.encode('Once 🙂', { bos: true, eos: true });
    expect(ids).toEqual([1, 403, 410, 0xf0 + 3, 0x9f + 3, 0x99 + 3, 0x82 + 3, 2]);
    expect(ids).toEqual(llama.encode('Once 🙂', { bos: true, eos: true }));
    expect(hf.decodeAll(ids)).toBe('Once 🙂');
  });

  it('the whole valid.txt paragraph stream equals run.c (same sha256)', () => {
    const ids: number[] = [];
    for (const s of splitParagraphs(readFileSync(VALID_TXT, 'utf8'))) for (const id of hf.encode(s, { bos: true })) ids.push(id);
    expect(createHash('sha256').update(new Uint8Array(Int32Array.from(ids).buffer)).digest('hex')).toBe(
      '9c3f280fff364c265956b123714dd58332241f048709395109ee9a9872d1a685',
    );
  });
});

describe('HF tokenizer file validation', () => {
  it('names the file and the problem', () => {
    const d1 = tokenizerDir('wordpiece', { model: { type: 'WordPiece', vocab: {} } });
    expect(formatError(() => loadTokenizer(d1)).message).toBe(`${join(d1, 'tokenizer.json')}: tokenizer model type "WordPiece" is not supported (only BPE)`);
    const d2 = tokenizerDir('badmerge', { model: { type: 'BPE', vocab: { a: 0 }, merges: ['a b'] } });
    expect(formatError(() => loadTokenizer(d2)).message).toMatch(/merge #0 "a b" is not a pair of vocabulary tokens/);
    const d3 = join(dir, 'broken');
    mkdirSync(d3);
    writeFileSync(join(d3, 'tokenizer.json'), '{"model": ');
    expect(formatError(() => loadTokenizer(d3)).message).toMatch(/tokenizer\.json: not valid JSON/);
    const d4 = join(dir, 'empty');
    mkdirSync(d4);
    expect(formatError(() => loadTokenizer(d4)).message).toBe(`${d4}: no tokenizer.json in this folder`);
    const d5 = tokenizerDir('nobos', { model: { type: 'BPE', vocab: { a: 0 }, merges: [] } });
    expect(formatError(() => loadTokenizer(d5).encode('a', { bos: true })).message).toMatch(/has no BOS token/);
    expect(formatError(() => loadTokenizer(join(dir, 'nothing.bin'))).message).toMatch(/cannot open: ENOENT/);
  });
});
