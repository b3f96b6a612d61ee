/**
 * Held-out NLL of a teacher or student under the spec's protocol (runtime/eval): the paragraph protocol of
 * shared/golden/README.md or fixed windows, optionally the first N sequences only (CI subsets).
 */
import { loadTokenizedFile } from '../data/token-cache.ts';
import { evaluateSequences, paragraphSequences, windowSequences, type EvalResult } from '../eval/index.ts';
import type { Tokenizer } from '../io/tokenizers/index.ts';
import type { TransformerLM } from '../models/transformer.ts';
import type { StudentLM } from '../student/model.ts';

export interface ModelEval extends EvalResult {
  seconds: number;
}

export interface EvalSpec {
  file: string;
  protocol: 'paragraphs' | 'windows';
  maxSequences?: number;
  tokenizer: Tokenizer;
  cacheDir?: string | false;
}

export function evalSequences(spec: EvalSpec, maxSeqLen: number): Int32Array[] {
  const t = loadTokenizedFile(spec.file, spec.tokenizer, spec.protocol === 'paragraphs' ? 'paragraphs' : 'windows', spec.cacheDir === undefined ? {} : { cacheDir: spec.cacheDir });
  const seqs = spec.protocol === 'paragraphs' ? paragraphSequences(t) : windowSequences(t, maxSeqLen, spec.tokenizer.bos ?? 1);
  return spec.maxSequences !== undefined ? seqs.slice(0, spec.maxSequences) : seqs;
}

export async function evaluateModel(model: TransformerLM | StudentLM, spec: EvalSpec): Promise<ModelEval> {
  const t0 = performance.now();
  const seqs = evalSequences(spec, model.config.maxSeqLen);
  // evaluateSequences reads only `config` and `forward(ids, { lengths }).logits`, which a StudentLM has too
  // (its SSM layers are causal, so right padding does not change a row's real positions).
  const r = await evaluateSequences(model as TransformerLM, seqs);
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}
