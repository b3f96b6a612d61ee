/** Teacher evaluation: mean NLL / perplexity over text under the paragraph or window protocol. */
import type { Tokenizer } from '../io/tokenizers/index.ts';
import { loadTokenizedFile, type LoadTokensOptions } from '../data/token-cache.ts';
import type { TransformerLM } from '../models/transformer.ts';
import { evaluateSequences, type EvalOptions, type EvalResult } from './nll.ts';
import { paragraphSequences, windowSequences, type EvalProtocol } from './protocols.ts';

export { evaluateSequences, type EvalOptions, type EvalResult } from './nll.ts';
export { planBatches, type PlannedBatch } from './batches.ts';
export { EVAL_PROTOCOLS, paragraphSequences, windowSequences, type EvalProtocol } from './protocols.ts';

export interface TextEvalOptions extends EvalOptions, LoadTokensOptions {
  protocol: EvalProtocol;
  /** Evaluate only the first N sequences (CI subsets). */
  maxSequences?: number;
  /** Window length for the 'windows' protocol (default: the model's maximum positions). */
  window?: number;
}

/** The sequences a protocol makes of a text file (tokenized through the token cache). */
export function evalSequences(model: TransformerLM, tokenizer: Tokenizer, textFile: string, opts: TextEvalOptions): Int32Array[] {
  const tokenized = loadTokenizedFile(textFile, tokenizer, opts.protocol === 'paragraphs' ? 'paragraphs' : 'windows', opts);
  let seqs =
    opts.protocol === 'paragraphs'
      ? paragraphSequences(tokenized)
      : windowSequences(tokenized, opts.window ?? model.config.maxSeqLen, tokenizer.bos ?? 1);
  if (opts.maxSequences !== undefined) seqs = seqs.slice(0, opts.maxSequences);
  return seqs;
}

export async function evaluateText(model: TransformerLM, tokenizer: Tokenizer, textFile: string, opts: TextEvalOptions): Promise<EvalResult> {
  return evaluateSequences(model, evalSequences(model, tokenizer, textFile, opts), opts);
}
