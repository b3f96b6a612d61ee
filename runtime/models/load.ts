/**
 * A teacher and its tokenizer from paths, with the checks that tie them together (the tokenizer must fit the
 * model's vocabulary). Used by the CLI verbs and by programs that only have file names.
 */
import { loadCheckpoint } from '../io/checkpoint.ts';
import { loadTokenizer, type Tokenizer } from '../io/tokenizers/index.ts';
import { FileFormatError } from '../io/types.ts';
import { buildTeacher, type TeacherOptions } from './index.ts';
import type { TransformerLM } from './transformer.ts';

export interface LoadedTeacher {
  model: TransformerLM;
  tokenizer: Tokenizer;
}

export function loadTeacherAndTokenizer(checkpoint: string, tokenizer: string, opts: TeacherOptions = {}): LoadedTeacher {
  const ckpt = loadCheckpoint(checkpoint);
  const tok = loadTokenizer(tokenizer, { vocabSize: ckpt.config.vocab });
  if (tok.vocabSize > ckpt.config.vocab)
    throw new FileFormatError(tokenizer, `has ${tok.vocabSize} tokens, more than the model's vocabulary of ${ckpt.config.vocab} (${checkpoint})`);
  return { model: buildTeacher(ckpt, opts), tokenizer: tok };
}
