/**
 * Teacher NLL: the per-token arithmetic against run.c's logits (golden), batching against one sequence per
 * forward on real paragraphs, the batch planner's bounds, and the window protocol's bookkeeping.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenizeText } from '../../../runtime/data/tokenize.ts';
import { evalSequences, evaluateSequences, planBatches, windowSequences } from '../../../runtime/eval/index.ts';
import { loadLlama2c } from '../../../runtime/io/llama2c.ts';
import { loadTokenizer, type Tokenizer } from '../../../runtime/io/tokenizers/index.ts';
import { buildTeacher, type TransformerLM } from '../../../runtime/models/index.ts';
import { tf, useBackend } from '../../../runtime/tensor/backend.ts';
import { GOLDEN_DIR, TEACHER_BIN, TOKENIZER_BIN, VALID_TXT } from '../../helpers/paths.ts';

let model: TransformerLM;
let tok: Tokenizer;
beforeAll(async () => {
  await useBackend('wasm');
  model = buildTeacher(loadLlama2c(TEACHER_BIN));
  tok = loadTokenizer(TOKENIZER_BIN, { vocabSize: 512 });
  return () => model.dispose();
});

describe('evaluateSequences', () => {
  it("equals the NLL computed in float64 from run.c's logits", async () => {
    const meta = JSON.parse(readFileSync(resolve(GOLDEN_DIR, 'once_upon_a_time_pos32.json'), 'utf8'));
    const b = readFileSync(resolve(GOLDEN_DIR, 'once_upon_a_time_pos32_logits.f32'));
    const logits = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    const ids: number[] = meta.tokens_fed;
    let sum = 0;
    for (let p = 0; p < ids.length - 1; p++) {
      const row = logits.subarray(p * 512, (p + 1) * 512);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      sum += lse - row[ids[p + 1]];
    }
    // Also score a prefix in the same batch: padding must not leak into it.
    const r = await evaluateSequences(model, [ids, ids.slice(0, 9)]);
    let prefix = 0;
    for (let p = 0; p < 8; p++) {
      const row = logits.subarray(p * 512, (p + 1) * 512);
      const max = Math.max(...row);
      prefix += max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0)) - row[ids[p + 1]];
    }
    expect(r.predicted).toBe(31 + 8);
    expect(r.tokens).toBe(32 + 9);
    expect(r.sequences).toBe(2);
    expect(Math.abs(r.meanNll - (sum + prefix) / 39)).toBeLessThan(2e-6);
    expect(r.perplexity).toBeCloseTo(Math.exp(r.meanNll), 12);
  });

  it('batched and one-sequence-per-forward evaluation agree on real paragraphs', async () => {
    const seqs = evalSequences(model, tok, VALID_TXT, { protocol: 'paragraphs', maxSequences: 40, cacheDir: false });
    expect(seqs).toHaveLength(40);
    const before = tf.memory().numTensors;
    const batched = await evaluateSequences(model, seqs);
    const single = await evaluateSequences(model, seqs, { batchTokens: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(batched.predicted).toBe(single.predicted);
    expect(batched.tokens).toBe(seqs.reduce((a, s) => a + s.length, 0));
    expect(Math.abs(batched.meanNll - single.meanNll)).toBeLessThan(1e-6);
    expect(batched.meanNll).toBeGreaterThan(0.5);
    expect(batched.meanNll).toBeLessThan(3);
  });
});

describe('planBatches', () => {
  it('covers every sequence once, longest first, within the token and attention bounds', () => {
    const lengths = Array.from({ length: 300 }, (_, i) => 1 + ((i * 7919) % 500));
    const plan = planBatches(lengths, { batchTokens: 4096, attentionElements: 1 << 20, maxLength: 512, heads: 8 });
    const seen = plan.flatMap((b) => b.rows).sort((a, b) => a - b);
    expect(seen).toEqual(lengths.map((_, i) => i));
    let prevLongest = Infinity;
    for (const b of plan) {
      const longest = Math.max(...b.rows.map((r) => lengths[r]));
      expect(longest).toBeLessThanOrEqual(b.length);
      expect(b.length % 8 === 0 || b.length === 512).toBe(true);
      expect(longest).toBeLessThanOrEqual(prevLongest);
      prevLongest = longest;
      if (b.rows.length > 1) {
        expect(b.rows.length * b.length).toBeLessThanOrEqual(4096);
        expect(b.rows.length * 8 * b.length * b.length).toBeLessThanOrEqual(1 << 20);
      }
    }
  });
  it('refuses sequences longer than the model', () => {
    expect(() => planBatches([10, 600], { maxLength: 512, heads: 8 })).toThrow(/600 tokens/);
  });
});

describe('window protocol', () => {
  it('predicts every text token exactly once, each window BOS-led', () => {
    const text = readFileSync(VALID_TXT, 'utf8').slice(0, 4000);
    const t = tokenizeText(text, tok, 'paragraphs');
    const body = Array.from(t.tokens).filter((_, i) => !Array.from(t.starts).includes(i));
    const wins = windowSequences(t, 64, 1);
    for (const w of wins) {
      expect(w[0]).toBe(1);
      expect(w.length).toBeLessThanOrEqual(64);
    }
    expect(wins.slice(0, -1).every((w) => w.length === 64)).toBe(true);
    expect(wins.flatMap((w) => Array.from(w.subarray(1)))).toEqual(body);
  });
});
