/**
 * Teacher and student continuing the same prompts with the same sampler settings and seed, for the report's
 * side-by-side texts. The teacher decodes with its KV cache (runtime/sample), the student recurrently after a
 * chunked prefill (runtime/views/student-generate.ts).
 */
import type { Tokenizer } from '../io/tokenizers/index.ts';
import type { TransformerLM } from '../models/transformer.ts';
import { generate } from '../sample/generate.ts';
import { XorShiftRng } from '../sample/rng.ts';
import type { StudentLM } from '../student/model.ts';
import { generateStudent } from '../views/student-generate.ts';
import type { SampleSet } from './data.ts';

export interface SampleSettings {
  prompts: string[];
  positions: number;
  temperature: number;
  topP: number;
  seed: bigint;
}

export const DEFAULT_PROMPTS = ['Once upon a time', 'Lily and Ben went to the park.', 'The little dog was sad because'];

export async function sideBySide(teacher: TransformerLM, student: StudentLM, tokenizer: Tokenizer, s: SampleSettings): Promise<SampleSet> {
  const stop = tokenizer.bos ?? 1;
  const pairs = [];
  for (const prompt of s.prompts) {
    const ids = tokenizer.encode(prompt, { bos: true });
    const t = new XorShiftRng(s.seed);
    const a = await generate(teacher, ids, { steps: s.positions, temperature: s.temperature, topP: s.topP, coin: () => t.float(), stopToken: stop });
    const r = new XorShiftRng(s.seed);
    const b = await generateStudent(student, ids, { steps: s.positions, temperature: s.temperature, topP: s.topP, coin: () => r.float(), stopToken: stop });
    pairs.push({ prompt, teacher: tokenizer.decodeAll(a.tokens), student: tokenizer.decodeAll(b.tokens) });
  }
  return { positions: s.positions, temperature: s.temperature, topP: s.topP, seed: s.seed.toString(), pairs };
}
