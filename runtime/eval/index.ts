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

/** Text that a protocol cannot evaluate as asked (a paragraph longer than the model's context). */
export class EvalInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalInputError';
  }
}

/** The sequences a protocol makes of a text file (tokenized through the token cache). */
export function evalSequences(model: TransformerLM, tokenizer: Tokenizer, textFile: string, opts: TextEvalOptions): Int32Array[] {
  const tokenized = loadTokenizedFile(textFile, tokenizer, opts.protocol === 'paragraphs' ? 'paragraphs' : 'windows', opts);
  let seqs =
    opts.protocol === 'paragraphs'
      ? paragraphSequences(tokenized)
      : windowSequences(tokenized, opts.window ?? model.config.maxSeqLen, tokenizer.bos ?? 1);
  if (opts.maxSequences !== undefined) seqs = seqs.slice(0, opts.maxSequences);
  const max = model.config.maxSeqLen;
  const long = seqs.findIndex((s) => s.length > max);
  if (long >= 0)
    throw new EvalInputError(
      `${textFile}: paragraph ${long + 1} has ${seqs[long].length} tokens, more than the model's ${max} positions ` +
        `(the paragraph protocol never truncates); use --protocol windows for this text`,
    );
  return seqs;
}

export async function evaluateText(model: TransformerLM, tokenizer: Tokenizer, textFile: string, opts: TextEvalOptions): Promise<EvalResult> {
  return evaluateSequences(model, evalSequences(model, tokenizer, textFile, opts), opts);
}
