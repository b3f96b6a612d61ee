import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DataSourceIR } from '../../../compiler/ir/types.ts';
import { TeacherSampledSource } from '../../../runtime/data/batches.ts';
import { batchSourceFromIR } from '../../../runtime/data/from-ir.ts';
import { loadTokenizedFile } from '../../../runtime/data/token-cache.ts';
import { loadTokenizer } from '../../../runtime/io/tokenizers/index.ts';
import { Rng } from '../../../runtime/train/rng.ts';
import { DATA_DIR, TOKENIZER_BIN, TRAIN_TXT } from '../../helpers/paths.ts';
import { tempDir } from '../io/helpers.ts';

const cacheDir = join(tempDir('mohawk-ir-'), 'cache');
const tokenizer = loadTokenizer(TOKENIZER_BIN);
const fakeSampler = (rng: Rng, n: number) => Int32Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 600 + rng.int(10)));
const sources: DataSourceIR[] = [
  { name: 'train', kind: 'text', path: 'tinystories/train.txt', protocol: 'lines', seed: 0 },
  { name: 'teach', kind: 'teacher_samples', protocol: 'windows', temperature: 0.8, topP: 0.9, seed: 0 },
  { name: 'both', kind: 'mix', protocol: 'windows', parts: [{ source: 'train', weight: 3 }, { source: 'teach', weight: 1 }], seed: 11 },
  { name: 'loop', kind: 'mix', protocol: 'windows', parts: [{ source: 'loop', weight: 1 }], seed: 0 },
  { name: 'nofile', kind: 'text', path: 'tinystories/absent.txt', protocol: 'lines', seed: 0 },
];

describe('batch sources from the IR', () => {
  it('a text source draws windows of the lines stream; a mix carries the teacher settings and weights', () => {
    const stream = loadTokenizedFile(TRAIN_TXT, tokenizer, 'lines', { cacheDir }).tokens;
    const text = batchSourceFromIR(sources, 'train', { tokenizer, batch: 4, seqLen: 16, dataDir: { data: DATA_DIR }, cacheDir });
    const b = text.next();
    const hay = Buffer.from(stream.buffer);
    for (let r = 0; r < 4; r++) expect(hay.indexOf(Buffer.from(b.inputs.slice(r * 16, r * 16 + 16).buffer)) % 4).toBe(0);
    const settings: { temperature: number; topP: number }[] = [];
    const mix = batchSourceFromIR(sources, 'both', {
      tokenizer, batch: 8, seqLen: 16, dataDir: { data: DATA_DIR }, cacheDir,
      teacherSampler: (s) => {
        settings.push(s);
        return fakeSampler;
      },
    });
    expect(settings).toEqual([{ temperature: 0.8, topP: 0.9 }]);
    expect(mix.parts.map((p) => [p.name, p.kind, p.weight])).toEqual([['train', 'text', 0.75], ['teach', 'teacher', 0.25]]);
    // Given a pool factory too, the teacher part decodes through the pool (a block of rows per decode).
    const pool = { rows: 8, sample: async () => [] };
    const pooled = batchSourceFromIR(sources, 'both', { tokenizer, batch: 8, seqLen: 16, dataDir: { data: DATA_DIR }, cacheDir, teacherSampler: () => fakeSampler, teacherPool: () => pool });
    expect(pooled.parts.map((p) => ('pool' in p ? p.pool : undefined))).toEqual([undefined, pool]);
    expect(mix.state().rng).toEqual(batchSourceFromIR(sources, 'train', { tokenizer, batch: 1, seqLen: 16, seed: 11, dataDir: { data: DATA_DIR }, cacheDir }).state().rng);
    const staged = batchSourceFromIR(sources, 'train', { tokenizer, batch: 1, seqLen: 16, seed: 11, stream: 'data/stage1', dataDir: { data: DATA_DIR }, cacheDir });
    expect(staged.state().rng).toEqual(Rng.fromSeed(11, 'data/stage1').state());
  });

  it('clear errors: unknown source, cycles, teacher without a sampler, a missing file', () => {
    const o = { tokenizer, batch: 1, seqLen: 8, dataDir: { data: DATA_DIR }, cacheDir };
    expect(() => batchSourceFromIR(sources, 'nope', o)).toThrow(/no data source named 'nope' \(declared: train, teach, both, loop, nofile\)/);
    expect(() => batchSourceFromIR(sources, 'loop', o)).toThrow(/'loop' includes itself \(loop → loop\)/);
    expect(() => batchSourceFromIR(sources, 'both', o)).toThrow(/'teach' samples the teacher, but no teacher sampler was provided/);
    expect(() => batchSourceFromIR(sources, 'nofile', o)).toThrow(/data file 'tinystories\/absent\.txt' not found/);
  });

  it('TeacherSampledSource: teacher rows only, or mixed with text', () => {
    const only = new TeacherSampledSource({ sampler: fakeSampler, batch: 3, seqLen: 4, seed: 1 });
    const b = only.next();
    expect(Array.from(b.parts)).toEqual([0, 0, 0]);
    for (let r = 0; r < 3; r++) {
      expect(b.inputs[r * 4]).toBe(1);
      expect(b.targets[r * 4]).toBe(b.inputs[r * 4 + 1]);
    }
    const stream = Int32Array.from({ length: 100 }, (_, i) => i);
    const mixed = new TeacherSampledSource({ sampler: fakeSampler, weight: 1, text: [{ tokens: stream, weight: 1 }], batch: 200, seqLen: 4, seed: 2 });
    const parts = Array.from(mixed.next().parts);
    expect(parts.filter((p) => p === 0).length).toBeGreaterThan(60);
    expect(parts.filter((p) => p === 1).length).toBeGreaterThan(60);
  });
});
