/**
 * `loadTokenizer(path)`: one interface over the tokenizer formats, chosen by what the path is — a folder or a
 * `.json` file is a Hugging Face tokenizer.json; anything else a llama2.c tokenizer `.bin`.
 */
import { statSync } from 'node:fs';
import { FileFormatError } from '../types.ts';
import { loadHfTokenizer } from './hf.ts';
import { type EncodeOptions, loadLlama2cTokenizer } from './llama2c.ts';

export type { EncodeOptions } from './llama2c.ts';

export interface Tokenizer {
  kind: 'llama2c' | 'hf';
  file: string;
  vocabSize: number;
  /** Undefined only for HF tokenizers that name no BOS/EOS. */
  bos: number | undefined;
  eos: number | undefined;
  /** sha256 of the tokenizer file: the key of token caches. */
  hash: string;
  encode(text: string, opts?: EncodeOptions): number[];
  decodeAll(ids: ArrayLike<number>): string;
  /** The bytes of a whole sequence as printed (llama2.c: exactly run.c's stdout; HF: UTF-8 of decodeAll). */
  decodeAllBytes(ids: ArrayLike<number>): Uint8Array;
  /** Per-token streaming, where the format allows it (llama2.c: what run.c prints for `id` after `prevId`). */
  decodeBytes?(prevId: number, id: number): Uint8Array;
}

export interface LoadTokenizerOptions {
  /** llama2.c tokenizers do not store their size: pass the model's vocab size to read exactly that many. */
  vocabSize?: number;
}

export function loadTokenizer(path: string, opts: LoadTokenizerOptions = {}): Tokenizer {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new FileFormatError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (isDir || path.endsWith('.json')) return loadHfTokenizer(path);
  return loadLlama2cTokenizer(path, opts);
}
