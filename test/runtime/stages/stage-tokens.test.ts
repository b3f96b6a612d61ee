/**
 * The token batches a program's stage draws (runtime/program/run-program.ts stageTokens) from the IR's data:
 * random windows of the 'lines' stream of train.txt, teacher-sampled text (sampled by the teacher with the
 * source's temperature/top-p, coins from the source's seeded generator), and a mix of the two by weight. A
 * batch is a function of the seed and the stage, different stages draw different windows, and a restored
 * cursor draws the same next batch (resume).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSourceIR, StageIR } from '../../../compiler/ir/types.ts';
import type { Batch } from '../../../runtime/data/batches.ts';
import { loadTokenizer, type Tokenizer } from '../../../runtime/io/tokenizers/index.ts';
import { loadLlama2c } from '../../../runtime/io/llama2c.ts';
import { buildTeacher } from '../../../runtime/models/index.ts';
import type { TransformerLM } from '../../../runtime/models/transformer.ts';
import { stageTokens } from '../../../runtime/program/run-program.ts';
import { useBackend } from '../../../runtime/tensor/backend.ts';
import { TEACHER_BIN, TOKENIZER_BIN } from '../../helpers/paths.ts';

const DATA: DataSourceIR[] = [
  { name: 'tinystories', kind: 'text', path: 'tinystories/train.txt', protocol: 'lines', seed: 0 },
  { name: 'samples', kind: 'teacher_samples', protocol: 'windows', temperature: 1, topP: 0.9, seed: 0 },
  { name: 'blend', kind: 'mix', protocol: 'windows', parts: [{ source: 'tinystories', weight: 1 }, { source: 'samples', weight: 1 }], seed: 0 },
];

function stage(name: string, data: string, seed = 0): StageIR {
  return {
    name,
    kind: 'end_to_end',
    layers: [0, 1, 2, 3, 4],
    tokens: 256,
    batchTokens: 64,
    seqLen: 16,
    microBatch: 4,
    lr: 1e-3,
    schedule: { kind: 'constant', warmup: 0, decay: 0, minLrRatio: 1 },
    optimizer: { kind: 'adamw', beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, noDecay: [] },
    gradClip: 1,
    loss: { kind: 'soft_ce', temperature: 1 },
    freeze: [],
    data,
    seed,
    checkpointEvery: 0,
    source: { file: 'test', line: 1 },
  };
}

let teacher: TransformerLM;
let tokenizer: Tokenizer;
beforeAll(async () => {
  await useBackend('wasm');
  teacher = buildTeacher(loadLlama2c(TEACHER_BIN));
  tokenizer = loadTokenizer(TOKENIZER_BIN, { vocabSize: 512 });
});
afterAll(() => teacher.dispose());

const source = (s: StageIR) => stageTokens(DATA, s, tokenizer, teacher, { runDir: '', root: '' });
const draw = async (s: StageIR, n: number): Promise<Batch[]> => {
  const src = source(s);
  const out: Batch[] = [];
  for (let i = 0; i < n; i++) out.push(await src.next());
  return out;
};

describe('stage token batches', () => {
  it('text: windows of the train stream with next-token targets; seeded per stage', async () => {
    const [a] = await draw(stage('s1', 'tinystories'), 1);
    const [b] = await draw(stage('s1', 'tinystories'), 1);
    const [c] = await draw(stage('s2', 'tinystories'), 1);
    expect(a.inputs.length).toBe(64);
    expect([...a.inputs]).toEqual([...b.inputs]);
    expect([...a.inputs]).not.toEqual([...c.inputs]);
    for (let r = 0; r < 4; r++) expect([...a.targets.subarray(r * 16, r * 16 + 15)]).toEqual([...a.inputs.subarray(r * 16 + 1, r * 16 + 16)]);
    // The text decodes to TinyStories-like English.
    expect(tokenizer.decodeAll(a.inputs.subarray(0, 16))).toMatch(/[a-z]{2,}/);
  });

  it('teacher samples: BOS-led rows sampled by the teacher, deterministic for a seed, resumable', async () => {
    const s = stage('s', 'samples', 3);
    const src = source(s);
    const first = await src.next();
    const saved = src.state();
    const second = await src.next();
    const again = source(s);
    expect([...(await again.next()).inputs]).toEqual([...first.inputs]);
    again.restore(saved);
    expect([...(await again.next()).inputs]).toEqual([...second.inputs]);
    for (let r = 0; r < 4; r++) expect(first.inputs[r * 16]).toBe(tokenizer.bos);
    expect(new Set(first.inputs).size).toBeGreaterThan(8);
  });

  it('mix: rows from both parts by weight', async () => {
    const batches = await draw(stage('m', 'blend', 1), 6);
    const parts = batches.flatMap((b) => [...b.parts]);
    expect(parts.filter((p) => p === 0).length).toBeGreaterThan(3);
    expect(parts.filter((p) => p === 1).length).toBeGreaterThan(3);
  });
});
