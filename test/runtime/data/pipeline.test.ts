import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Batch, RandomWindowSource, ShuffledWindowSource } from '../../../runtime/data/batches.ts';
import { loadTokenizedFile } from '../../../runtime/data/token-cache.ts';
import { sequenceAt, sequenceCount, tokenizeText } from '../../../runtime/data/tokenize.ts';
import { packWindows } from '../../../runtime/data/windows.ts';
import { loadTokenizer } from '../../../runtime/io/tokenizers/index.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { TOKENIZER_BIN, TRAIN_TXT, VALID_TXT } from '../../helpers/paths.ts';
import { tempDir } from '../io/helpers.ts';

const dir = tempDir('mohawk-data-');
const tok = loadTokenizer(TOKENIZER_BIN);

describe('tokenized text and its cache', () => {
  it('paragraph protocol on valid.txt: 4,302 BOS-led sequences, 384,954 tokens, the golden stream hash', () => {
    const cacheDir = join(dir, 'cache-valid');
    const first = loadTokenizedFile(VALID_TXT, tok, 'paragraphs', { cacheDir });
    expect(first.cached).toBe(false);
    expect(sequenceCount(first)).toBe(4302);
    expect(first.tokens.length).toBe(384954);
    for (let i = 0; i < sequenceCount(first); i++) expect(sequenceAt(first, i)[0]).toBe(1);
    const sha = createHash('sha256').update(new Uint8Array(first.tokens.buffer)).digest('hex');
    expect(sha).toBe('9c3f280fff364c265956b123714dd58332241f048709395109ee9a9872d1a685');
    const second = loadTokenizedFile(VALID_TXT, tok, 'paragraphs', { cacheDir });
    expect(second.cached).toBe(true);
    expect(second.cacheFile).toBe(first.cacheFile);
    expect(Buffer.from(second.tokens.buffer).equals(Buffer.from(first.tokens.buffer))).toBe(true);
    expect(Array.from(second.starts)).toEqual(Array.from(first.starts));
    expect(first.key).toMatchObject({ tokenizerSha256: tok.hash, protocol: 'paragraphs' });
  });

  it("lines protocol reproduces the reference recipe's train.txt stream length: 468,511 tokens", () => {
    const t = loadTokenizedFile(TRAIN_TXT, tok, 'lines', { cacheDir: false });
    expect(t.tokens.length).toBe(468511);
    expect(sequenceCount(t)).toBe(5758);
    expect(t.cacheFile).toBeUndefined();
  });

  it('a corrupt, truncated or foreign cache file is ignored and rewritten, never trusted', () => {
    const cacheDir = join(dir, 'cache-corrupt');
    const text = join(dir, 'small.txt');
    writeFileSync(text, 'Once upon a time.\n\nThe end.\n');
    const a = loadTokenizedFile(text, tok, 'paragraphs', { cacheDir });
    const file = a.cacheFile!;
    const bytes = readFileSync(file);
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 20] ^= 1; // one bit of one token
    for (const bad of [bytes.subarray(0, bytes.length - 4), Buffer.concat([bytes, Buffer.alloc(4)]), Buffer.from('garbage'), flipped]) {
      writeFileSync(file, bad);
      const b = loadTokenizedFile(text, tok, 'paragraphs', { cacheDir });
      expect(b.cached).toBe(false);
      expect(Array.from(b.tokens)).toEqual(Array.from(a.tokens));
      expect(readFileSync(file).equals(bytes)).toBe(true);
    }
    // Another protocol or changed text gets its own cache file.
    const c = loadTokenizedFile(text, tok, 'lines', { cacheDir });
    expect(c.cacheFile).not.toBe(file);
    writeFileSync(text, 'Once upon a time.\n\nThe END.\n');
    const d = loadTokenizedFile(text, tok, 'paragraphs', { cacheDir });
    expect(d.cached).toBe(false);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.tokens')).length).toBe(3);
  });

  it('windows protocol: one BOS then the whole text; packWindows cuts BOS-led windows covering the stream', () => {
    const text = readFileSync(VALID_TXT, 'utf8').slice(0, 5000);
    const t = tokenizeText(text, tok, 'windows');
    expect(sequenceCount(t)).toBe(1);
    expect(t.tokens[0]).toBe(1);
    const T = 64;
    const w = packWindows(t.tokens, T, { bos: 1, keepPartial: true });
    const body: number[] = [];
    for (let i = 0; i < w.lengths.length; i++) {
      expect(w.tokens[i * T]).toBe(1);
      body.push(...w.tokens.subarray(i * T + 1, i * T + w.lengths[i]));
    }
    expect(body).toEqual(Array.from(t.tokens.subarray(1)));
    expect(w.lengths.slice(0, -1).every((l) => l === T)).toBe(true);
  });

  it('packWindows by hand: plain chunks, BOS windows, partial handling', () => {
    const s = Int32Array.from([1, 10, 11, 12, 13, 14, 15, 16]);
    expect(Array.from(packWindows(s, 3).tokens)).toEqual([1, 10, 11, 12, 13, 14]);
    const b = packWindows(s, 3, { bos: 1, keepPartial: true, pad: -1 });
    expect(Array.from(b.tokens)).toEqual([1, 10, 11, 1, 12, 13, 1, 14, 15, 1, 16, -1]);
    expect(Array.from(b.lengths)).toEqual([3, 3, 3, 2]);
    expect(packWindows(s, 3, { bos: 1 }).lengths.length).toBe(3);
  });
});

function rowsOf(b: Batch): number[][] {
  return Array.from({ length: b.batch }, (_, r) => Array.from(b.inputs.subarray(r * b.seqLen, (r + 1) * b.seqLen)));
}

describe('RandomWindowSource', () => {
  const stream = loadTokenizedFile(TRAIN_TXT, tok, 'lines', { cacheDir: join(dir, 'cache-train') }).tokens;

  it('draws windows at offsets in [0, len − T − 1) with next-token targets, deterministically from the seed', () => {
    const s1 = new RandomWindowSource({ parts: [{ kind: 'text', tokens: stream }], batch: 8, seqLen: 32, seed: 0 });
    const s2 = new RandomWindowSource({ parts: [{ kind: 'text', tokens: stream }], batch: 8, seqLen: 32, seed: 0 });
    const s3 = new RandomWindowSource({ parts: [{ kind: 'text', tokens: stream }], batch: 8, seqLen: 32, seed: 1 });
    const a = s1.next();
    expect(rowsOf(s2.next())).toEqual(rowsOf(a));
    expect(rowsOf(s3.next())).not.toEqual(rowsOf(a));
    // Independent check of the offsets: replay the same generator by hand.
    const rng = Rng.fromSeed(0, 'data');
    for (let r = 0; r < 8; r++) {
      const o = rng.int(stream.length - 32 - 1);
      expect(Array.from(a.inputs.subarray(r * 32, r * 32 + 32))).toEqual(Array.from(stream.subarray(o, o + 32)));
      expect(Array.from(a.targets.subarray(r * 32, r * 32 + 32))).toEqual(Array.from(stream.subarray(o + 1, o + 33)));
    }
  });

  it('covers exactly the allowed offsets on a small stream', () => {
    const small = Int32Array.from({ length: 20 }, (_, i) => i);
    const src = new RandomWindowSource({ parts: [{ kind: 'text', tokens: small }], batch: 50, seqLen: 5, seed: 3 });
    const seen = new Set<number>();
    for (let k = 0; k < 20; k++) for (const row of rowsOf(src.next())) seen.add(row[0]);
    // len 20, T 5: offsets 0..13 (the last window's target is token 18, never the final token 19).
    expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: 14 }, (_, i) => i));
  });

  it('resumes from a serialised state and draws the identical next batches', () => {
    const mk = () => new RandomWindowSource({ parts: [{ kind: 'text', tokens: stream }], batch: 4, seqLen: 16, seed: 42 });
    const a = mk();
    for (let k = 0; k < 5; k++) a.next();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const expected = [a.next(), a.next()].map(rowsOf);
    const b = mk();
    b.restore(saved);
    expect([b.next(), b.next()].map(rowsOf)).toEqual(expected);
    expect(b.batchesDrawn).toBe(7);
  });

  it('mixes a fake teacher sampler with text by weight; the sampler draws from the source rng so resume is exact', async () => {
    const calls: number[] = [];
    // A stand-in for the teacher: BOS then tokens from the rng it is handed (a real one samples the model).
    const sampler = (rng: Rng, n: number) => {
      calls.push(n);
      return Int32Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 1000 + rng.int(100)));
    };
    const mk = () =>
      new RandomWindowSource({
        parts: [
          { kind: 'text', name: 'train', tokens: stream, weight: 3 },
          { kind: 'teacher', name: 'teacher', sampler, weight: 1 },
        ],
        batch: 64,
        seqLen: 8,
        seed: 7,
      });
    const src = mk();
    let teacherRows = 0;
    let rows = 0;
    for (let k = 0; k < 20; k++) {
      const b = src.next();
      b.parts.forEach((p, r) => {
        rows++;
        if (p === 1) {
          teacherRows++;
          expect(b.inputs[r * 8]).toBe(1);
          expect(b.inputs[r * 8 + 1]).toBeGreaterThanOrEqual(1000);
        }
      });
    }
    // 1280 rows at weight 1/4: the binomial standard deviation is 15.5 rows; seeded, so this is fixed.
    expect(Math.abs(teacherRows - rows / 4)).toBeLessThan(4 * 15.5);
    expect(calls.every((n) => n === 9)).toBe(true);
    const saved = src.state();
    const next = rowsOf(src.next());
    const again = mk();
    again.restore(saved);
    expect(rowsOf(again.next())).toEqual(next);
    // The same source with an async sampler: nextAsync gives the same rows; next() refuses without advancing.
    const asyncSrc = new RandomWindowSource({
      parts: [
        { kind: 'text', tokens: stream, weight: 3 },
        { kind: 'teacher', sampler: async (rng: Rng, n: number) => sampler(rng, n), weight: 1 },
      ],
      batch: 64,
      seqLen: 8,
      seed: 7,
    });
    const before = JSON.stringify(asyncSrc.state());
    expect(() => asyncSrc.next()).toThrow(/use nextAsync/);
    expect(JSON.stringify(asyncSrc.state())).toBe(before);
    const fresh = mk();
    expect(rowsOf(await asyncSrc.nextAsync())).toEqual(rowsOf(fresh.next()));
  });

  it('a pooled teacher part decodes its rows a block at a time, each block from a seed the source draws; resume regenerates the block', async () => {
    const calls: { length: number; rows: number }[] = [];
    // A stand-in for a batched teacher decode: every row BOS, then tokens from the block's own rng.
    const sample = async (rng: Rng, length: number, rows: number) => {
      calls.push({ length, rows });
      return Array.from({ length: rows }, () => Int32Array.from({ length }, (_, i) => (i === 0 ? 1 : 1000 + rng.int(100))));
    };
    const mk = () =>
      new RandomWindowSource({
        parts: [
          { kind: 'text', name: 'train', tokens: stream, weight: 1 },
          { kind: 'teacher', name: 'teacher', pool: { rows: 16, sample }, weight: 1 },
        ],
        batch: 8,
        seqLen: 8,
        seed: 3,
      });
    const src = mk();
    expect(() => src.next()).toThrow(/pooled teacher part .* use nextAsync/);
    const batches: Batch[] = [];
    for (let k = 0; k < 10; k++) batches.push(await src.nextAsync());
    const teacherRows = batches.flatMap((b) => [...b.parts]).filter((p) => p === 1).length;
    // ~40 of the 80 rows are the teacher's; each block of 16 is decoded once, all rows of length seqLen + 1.
    expect(teacherRows).toBeGreaterThan(20);
    expect(calls.length).toBe(Math.ceil(teacherRows / 16));
    expect(calls.every((c) => c.length === 9 && c.rows === 16)).toBe(true);
    // The rows are the blocks' rows in order: replay the blocks from the seeds in the saved states.
    const state = src.state();
    expect(Object.keys(state.pools ?? {})).toEqual(['1']);
    expect(state.pools?.[1].used).toBe(teacherRows - 16 * (calls.length - 1));
    const block = await sample(Rng.fromSeed(state.pools![1].seed, 'teacher-pool'), 9, 16);
    const last = batches[9];
    const lastTeacher = [...last.parts].lastIndexOf(1);
    expect([...last.inputs.subarray(lastTeacher * 8, lastTeacher * 8 + 8)]).toEqual([...block[state.pools![1].used - 1].subarray(0, 8)]);
    // Resume mid-block on a fresh source: the block is decoded again from its seed, the batches are identical.
    const expected = [await src.nextAsync(), await src.nextAsync()].map(rowsOf);
    const again = mk();
    again.restore(JSON.parse(JSON.stringify(state)));
    expect([await again.nextAsync(), await again.nextAsync()].map(rowsOf)).toEqual(expected);
    // A pool that returns the wrong number of rows is named.
    const bad = new RandomWindowSource({ parts: [{ kind: 'teacher', name: 'teach', pool: { rows: 4, sample: async () => [[1, 2, 3]] }, weight: 1 }], batch: 1, seqLen: 2, seed: 0 });
    await expect(bad.nextAsync()).rejects.toThrow(/teacher pool for part 'teach' returned 1 rows, expected 4/);
  });

  it('rejects bad configurations and a sampler returning the wrong length', () => {
    expect(() => new RandomWindowSource({ parts: [{ kind: 'text', tokens: new Int32Array(10) }], batch: 1, seqLen: 9, seed: 0 })).toThrow(/fewer than seqLen \+ 2/);
    expect(() => new RandomWindowSource({ parts: [{ kind: 'text', tokens: stream, weight: 0 }], batch: 1, seqLen: 9, seed: 0 })).toThrow(/sum to 0/);
    const bad = new RandomWindowSource({ parts: [{ kind: 'teacher', sampler: () => [1, 2], weight: 1 }], batch: 1, seqLen: 4, seed: 0 });
    expect(() => bad.next()).toThrow(/returned 2 tokens, expected 5/);
  });
});

describe('ShuffledWindowSource', () => {
  it('visits every window once per epoch in a seeded order, and resumes mid-epoch', () => {
    const tokens = Int32Array.from({ length: 101 }, (_, i) => i);
    const src = new ShuffledWindowSource(tokens, 3, 10, 5);
    expect(src.windows).toBe(10);
    const firsts: number[] = [];
    for (let k = 0; k < 10; k++) for (const row of rowsOf(src.next())) firsts.push(row[0]);
    // 30 rows = 3 epochs of 10 windows: each epoch is a permutation of the window starts.
    for (let e = 0; e < 3; e++) expect(firsts.slice(e * 10, e * 10 + 10).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i * 10));
    expect(firsts.slice(0, 10)).not.toEqual(firsts.slice(10, 20));
    const again = new ShuffledWindowSource(tokens, 3, 10, 5);
    again.restore({ kind: 'shuffled-windows', epoch: 1, position: 4 });
    const ref = new ShuffledWindowSource(tokens, 1, 10, 5);
    for (let k = 0; k < 14; k++) ref.next();
    expect(rowsOf(again.next())[0]).toEqual(rowsOf(ref.next())[0]);
  });
});
