/**
 * Hugging Face checkpoints with logits computed by `transformers` (../shared/golden/hf): the stories260K
 * teacher in the HF Llama layout (rotate-half RoPE), a random Phi (partial rotary, parallel block, biases)
 * and a random GPT-2 (learned positions, Conv1D weights, tied head).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../runtime/io/checkpoint.ts';
import { buildTeacher } from '../../../runtime/models/index.ts';
import { useBackend } from '../../../runtime/tensor/backend.ts';
import { GOLDEN_DIR } from '../../helpers/paths.ts';
import { maxAbsDiff, readF32 } from './golden-helpers.ts';

const CASES = [
  { name: 'hf_llama_stories260K', family: 'llama', tol: 1e-4 },
  { name: 'hf_phi_tiny', family: 'phi', tol: 1e-5 },
  { name: 'hf_gpt2_tiny', family: 'gpt2', tol: 1e-5 },
];

describe.each(['wasm', 'cpu'] as const)('transformers logits (%s)', (backend) => {
  for (const c of CASES) {
    it(`${c.name} matches within ${c.tol}`, async () => {
      await useBackend(backend);
      const dir = resolve(GOLDEN_DIR, 'hf', c.name);
      const ref = JSON.parse(readFileSync(resolve(dir, 'reference.json'), 'utf8'));
      const want = readF32(`hf/${c.name}/${ref.logits_file}`);
      const ckpt = loadCheckpoint(dir);
      expect(ckpt.config.family).toBe(c.family);
      const model = buildTeacher(ckpt);
      const out = model.forward([ref.input_ids]);
      expect(out.logits!.shape).toEqual([1, ...ref.logits_shape]);
      expect(maxAbsDiff(await out.logits!.data(), want)).toBeLessThanOrEqual(c.tol);
      out.logits!.dispose();
      model.dispose();
    });
  }
});

it('the HF-layout stories260K agrees with run.c too (rotate-half vs adjacent pairs)', async () => {
  await useBackend('wasm');
  const model = buildTeacher(loadCheckpoint(resolve(GOLDEN_DIR, 'hf', 'hf_llama_stories260K')));
  const meta = JSON.parse(readFileSync(resolve(GOLDEN_DIR, 'once_upon_a_time_pos32.json'), 'utf8'));
  const out = model.forward([meta.tokens_fed]);
  expect(maxAbsDiff(await out.logits!.data(), readF32('once_upon_a_time_pos32_logits.f32'))).toBeLessThanOrEqual(1e-4);
  out.logits!.dispose();
  model.dispose();
});
