import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitParagraphs } from '../../../../runtime/data/text.ts';
import { loadLlama2cTokenizer, parseLlama2cTokenizer } from '../../../../runtime/io/tokenizers/llama2c.ts';
import { Rng } from '../../../../runtime/train/rng.ts';
import { GOLDEN_DIR, TOKENIZER_BIN, VALID_TXT } from '../../../helpers/paths.ts';
import { formatError, tempDir } from '../helpers.ts';
import { encodeTokenizerBin, runcEncode } from './runc-reference.ts';

const dir = tempDir();
const tok = loadLlama2cTokenizer(TOKENIZER_BIN);
const golden = JSON.parse(readFileSync(join(GOLDEN_DIR, 'once_upon_a_time_pos32.json'), 'utf8'));

describe('llama2.c tokenizer on tok512.bin', () => {
  it('loads 512 pieces and hashes the file bytes', () => {
    expect(tok.vocabSize).toBe(512);
    expect(tok.maxTokenLength).toBe(7);
    expect(tok.hash).toBe('037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312');
    expect(loadLlama2cTokenizer(TOKENIZER_BIN, { vocabSize: 512 }).vocabSize).toBe(512);
  });

  it('whole-file proof: every valid.txt paragraph, BOS-prefixed, hashes to the run.c token stream', () => {
    const text = readFileSync(VALID_TXT, 'utf8');
    const segments = splitParagraphs(text);
    expect(segments.length).toBe(4302);
    const ids: number[] = [];
    for (const s of segments) for (const id of tok.encode(s, { bos: true })) ids.push(id);
    expect(ids.length).toBe(384954);
    const sha = createHash('sha256').update(new Uint8Array(Int32Array.from(ids).buffer)).digest('hex');
    expect(sha).toBe('9c3f280fff364c265956b123714dd58332241f048709395109ee9a9872d1a685');
  });

  it('encodes the golden prompt as run.c did and decodes the greedy run as run.c printed it', () => {
    expect(tok.encode('Once upon a time', { bos: true })).toEqual(golden.prompt_tokens);
    const printed = readFileSync(join(GOLDEN_DIR, 'greedy_once_upon_a_time_n256.txt'));
    const ours = Buffer.from(tok.decodeAllBytes(golden.tokens_fed));
    expect(ours.length).toBeGreaterThan(60);
    expect(printed.subarray(0, ours.length).equals(ours)).toBe(true);
    // Token by token, as a sampler streams it: decode(prev, id) concatenates to the same bytes.
    const streamed = golden.tokens_fed.slice(1).map((id: number, i: number) => tok.decode(golden.tokens_fed[i], id)).join('');
    expect(streamed).toBe(ours.toString('utf8'));
  });

  it('applies run.c decode rules: BOS strips a leading space, byte pieces, safe_printf drops unprintable bytes', () => {
    const space = 410; // ' '
    expect(tok.decode(1, space)).toBe('');
    expect(tok.decode(5, space)).toBe(' ');
    expect(tok.decode(1, 259)).toBe('t'); // ' t' after BOS
    expect(tok.decode(0, 0x0a + 3)).toBe('\n'); // <0x0A> is whitespace: printed
    expect(tok.decode(0, 0x41 + 3)).toBe('A');
    expect(tok.decodeBytes(0, 0x07 + 3).length).toBe(0); // bell: dropped
    expect(tok.decodeBytes(0, 0xe2 + 3).length).toBe(0); // lone UTF-8 lead byte: dropped, as run.c
    expect(tok.decodeBytes(0, 0x00 + 3).length).toBe(0);
    expect(tok.decode(7, 2)).toBe('\n</s>\n');
    // Byte fallback for a 4-byte emoji: encoded as 4 byte ids, printed as nothing (run.c prints none of them).
    const ids = tok.encode('a🙂', { bos: true });
    expect(ids.slice(-4)).toEqual([...Buffer.from('🙂')].map((b) => b + 3));
    expect(tok.decodeAll(ids)).toBe('a');
    expect(() => tok.decode(0, 512)).toThrow(/outside the vocabulary/);
  });

  it('handles empty text, EOS, and C string semantics (text stops at NUL)', () => {
    expect(tok.encode('')).toEqual([]);
    expect(tok.encode('', { bos: true, eos: true })).toEqual([1, 2]);
    expect(tok.encode('hi', { eos: true }).at(-1)).toBe(2);
    expect(tok.encode('Once\0 upon')).toEqual(tok.encode('Once'));
  });

  it('matches a literal port of run.c encode on seeded random texts (unicode, mojibake, controls)', () => {
    const v = { pieces: tok.pieces, scores: tok.scores };
    const rng = Rng.fromSeed(11, 'tok512-fuzz');
    const alphabet = [...'abcdefghijklmnopqrstuvwxyz   ,.!?\'"\n\tLTSOAHI0123'.split(''), 'â€™', 'é', '’', '“', '🙂', '\x07', 'ß', '中'];
    for (let k = 0; k < 60; k++) {
      const n = rng.int(80);
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
      const b = rng.int(2) === 1;
      expect(tok.encode(s, { bos: b }), JSON.stringify(s)).toEqual(runcEncode(v, Buffer.from(s, 'utf8'), b, false));
    }
    // Invalid UTF-8 runs (more than 3 continuation bytes, stray continuations) as raw bytes.
    const raw = Uint8Array.from([0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0xe2, 0x80, 0x20, 0xf0, 0x9f]);
    expect(tok.encode(raw)).toEqual(runcEncode(v, raw, false, false));
  });
});

describe('llama2.c tokenizer on synthetic vocabularies (ties, long merges)', () => {
  it('breaks score ties leftmost and merges in run.c order, on random vocabularies with many equal scores', () => {
    const rng = Rng.fromSeed(5, 'synthetic-vocab');
    for (let trial = 0; trial < 8; trial++) {
      const pieces: Uint8Array[] = [Buffer.from('<unk>'), Buffer.from('\n<s>\n'), Buffer.from('\n</s>\n')];
      for (let b = 0; b < 256; b++) pieces.push(Buffer.from(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
      const base = ['a', 'b', 'c', ' '];
      const merged = new Set<string>(base);
      for (const c of base) pieces.push(Buffer.from(c));
      // Random merges of existing pieces, so chains like "ab"+"ca" → "abca" exist.
      while (pieces.length < 259 + 40) {
        const all = [...merged];
        const m = all[rng.int(all.length)] + all[rng.int(all.length)];
        if (m.length > 6 || merged.has(m)) continue;
        merged.add(m);
        pieces.push(Buffer.from(m));
      }
      // Only 3 distinct scores: ties everywhere.
      const scores = pieces.map((_, i) => (i < 259 ? 0 : -rng.int(3)));
      const file = join(dir, `synthetic-${trial}.bin`);
      writeFileSync(file, encodeTokenizerBin(pieces, scores));
      const t = loadLlama2cTokenizer(file);
      for (let k = 0; k < 25; k++) {
        let s = '';
        for (let i = 0, n = rng.int(40); i < n; i++) s += 'abc  '[rng.int(5)];
        expect(t.encode(s, { bos: true }), `${trial}: ${JSON.stringify(s)}`).toEqual(
          runcEncode({ pieces, scores: Float32Array.from(scores) }, Buffer.from(s), true, false),
        );
      }
    }
  });

  it('encodes a 300 KB paragraph quickly enough to finish (heap merge, not rescans)', () => {
    const text = readFileSync(VALID_TXT, 'utf8').slice(0, 300_000);
    const ids = tok.encode(text);
    expect(ids.length).toBeGreaterThan(100_000);
    expect(tok.decodeAll([1, ...ids]).length).toBeGreaterThan(280_000);
  });
});

describe('llama2.c tokenizer file validation', () => {
  const good = readFileSync(TOKENIZER_BIN);
  const put = (name: string, b: Uint8Array) => {
    const f = join(dir, name);
    writeFileSync(f, b);
    return f;
  };

  it('names the problem: short file, bad max_token_length, bad lengths, truncation, too few tokens', () => {
    const f1 = put('t1.bin', good.subarray(0, 2));
    expect(formatError(() => loadLlama2cTokenizer(f1)).message).toBe(`${f1}: not a llama2.c tokenizer: 2 bytes, shorter than the 4-byte max_token_length`);
    const b2 = Buffer.from(good);
    b2.writeInt32LE(0, 0);
    const f2 = put('t2.bin', b2);
    expect(formatError(() => loadLlama2cTokenizer(f2)).message).toMatch(/max_token_length 0 is out of range/);
    const b3 = Buffer.from(good);
    b3.writeInt32LE(-5, 8); // length of token 0
    const f3 = put('t3.bin', b3);
    expect(formatError(() => loadLlama2cTokenizer(f3)).message).toMatch(/token 0 has length -5, outside 0\.\.max_token_length \(7\)/);
    const b4 = Buffer.from(good);
    b4.writeInt32LE(3, 0); // max_token_length 3 but "<unk>" has 5 bytes
    const f4 = put('t4.bin', b4);
    expect(formatError(() => loadLlama2cTokenizer(f4)).message).toMatch(/token 0 has length 5, outside 0\.\.max_token_length \(3\)/);
    const f5 = put('t5.bin', good.subarray(0, good.length - 3));
    expect(formatError(() => loadLlama2cTokenizer(f5)).message).toMatch(/truncated inside the bytes of token 511/);
    expect(formatError(() => loadLlama2cTokenizer(TOKENIZER_BIN, { vocabSize: 600 })).message).toMatch(/truncated inside the entry of token 512/);
    const f6 = put('t6.bin', encodeTokenizerBin([Buffer.from('a')], [0]));
    expect(formatError(() => loadLlama2cTokenizer(f6)).message).toMatch(/1 tokens; byte fallback needs at least 259/);
    expect(formatError(() => loadLlama2cTokenizer(join(dir, 'absent.bin'))).message).toMatch(/cannot read: ENOENT/);
  });

  it('every seeded truncation point is a FileFormatError given the model vocab size; a model checkpoint passed as tokenizer too', () => {
    const rng = Rng.fromSeed(3, 'tok-trunc');
    for (let k = 0; k < 40; k++) {
      const cut = rng.int(good.length);
      expect(() => parseLlama2cTokenizer('cut.bin', good.subarray(0, cut), { vocabSize: 512 })).toThrow(/^cut\.bin: not a llama2\.c tokenizer/);
    }
    // stories260K.bin starts with dim = 64 as "max_token_length" then garbage lengths.
    const model = readFileSync(TOKENIZER_BIN.replace('tok512.bin', 'stories260K.bin'));
    expect(() => parseLlama2cTokenizer('model.bin', model)).toThrow(/^model\.bin: not a llama2\.c tokenizer: token 2 has length 265839806, outside/);
  });
});
