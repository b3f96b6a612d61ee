/**
 * Decoding against independent routes: stochastic samples against llama2.c run.c's own output for the same
 * seeds (fixtures/), greedy decoding against argmax of a full forward pass, and batched sampling.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLlama2c } from '../../../runtime/io/llama2c.ts';
import { loadLlama2cTokenizer, type Llama2cTokenizer } from '../../../runtime/io/tokenizers/llama2c.ts';
import { buildTeacher, type TransformerLM } from '../../../runtime/models/index.ts';
import { argmax, generate, sampleSequences, XorShiftRng } from '../../../runtime/sample/index.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { TEACHER_BIN, TOKENIZER_BIN } from '../../helpers/paths.ts';

interface RunCCase {
  temperature: number;
  topP: number;
  seed: number;
  steps: number;
  prompt: string;
  command: string;
  stdout: string;
}
const fixtures: { cases: RunCCase[] } = JSON.parse(readFileSync(resolve(import.meta.dirname, 'fixtures', 'runc-samples.json'), 'utf8'));

let model: TransformerLM;
let tok: Llama2cTokenizer;
beforeAll(async () => {
  await useBackend('wasm');
  model = buildTeacher(loadLlama2c(TEACHER_BIN));
  tok = loadLlama2cTokenizer(TOKENIZER_BIN, { vocabSize: 512 });
  return () => model.dispose();
});

describe('generate reproduces run.c', () => {
  for (const c of fixtures.cases) {
    it(c.command, async () => {
      const rng = new XorShiftRng(c.seed);
      const chunks: Uint8Array[] = [];
      const before = tf.memory().numTensors;
      await generate(model, tok.encode(c.prompt, { bos: true }), {
        steps: c.steps,
        temperature: c.temperature,
        topP: c.topP,
        coin: () => rng.float(),
        onToken: (a, b) => chunks.push(tok.decodeBytes(a, b)),
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(Buffer.concat([...chunks, Buffer.from('\n')]).toString('utf8')).toBe(c.stdout);
    });
  }
});

describe('decoding loops', () => {
  it('greedy tokens are the argmax of a full forward pass over the result', async () => {
    const prompt = tok.encode('The cat', { bos: true });
    const r = await generate(model, prompt, { steps: 60, temperature: 0, topP: 0.9, coin: () => 0 });
    expect(r.tokens.slice(0, prompt.length)).toEqual(prompt);
    expect(r.sampled).toBe(r.tokens.length - prompt.length);
    const out = model.forward([r.tokens]);
    const logits = await out.logits!.data();
    out.logits!.dispose();
    for (let p = prompt.length - 1; p < r.tokens.length - 1; p++) expect(argmax(logits.subarray(p * 512, (p + 1) * 512))).toBe(r.tokens[p + 1]);
  });

  it('counts positions like run.c: a short budget only replays the prompt', async () => {
    const prompt = tok.encode('Once upon a time there was', { bos: true });
    const r = await generate(model, prompt, { steps: 3, temperature: 0, topP: 0, coin: () => 0 });
    expect(r.tokens).toEqual(prompt.slice(0, 4));
    expect(r.sampled).toBe(0);
  });

  it('sampleSequences: BOS-led rows of the asked length, fixed by the seed, greedy rows identical', async () => {
    const run = async (seed: number, temperature: number) => {
      const rng = new XorShiftRng(seed);
      return sampleSequences(model, { batch: 3, length: 40, temperature, topP: 0.9, coin: () => rng.float() });
    };
    const a = await run(11, 1);
    const b = await run(11, 1);
    const c = await run(12, 1);
    expect(a.map((r) => r.length)).toEqual([40, 40, 40]);
    for (const r of a) expect(r[0]).toBe(1);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const g = await run(1, 0);
    expect(g[1]).toEqual(g[0]);
    expect(g[2]).toEqual(g[0]);
    // The greedy rows continue past any BOS, unlike `generate`: compare to a full forward's argmax.
    const out = model.forward([Array.from(g[0])]);
    const logits = await out.logits!.data();
    out.logits!.dispose();
    for (let p = 0; p < 39; p++) expect(argmax(logits.subarray(p * 512, (p + 1) * 512))).toBe(g[0][p + 1]);
  });
});

describe('teacherSampler (the data pipeline hook)', () => {
  it('draws only from the given Rng: same state, same row', async () => {
    const { Rng } = await import('../../../runtime/train/rng.ts');
    const { teacherSampler } = await import('../../../runtime/sample/index.ts');
    const sample = teacherSampler(model, { temperature: 1, topP: 0.9 });
    const rng = Rng.fromSeed(5);
    const saved = rng.state();
    const a = await sample(rng, 33);
    const b = await sample(Rng.fromState(saved), 33);
    expect(a.length).toBe(33);
    expect(a[0]).toBe(1);
    expect(b).toEqual(a);
    expect(await sample(rng, 33)).not.toEqual(a);
  });
});
