/**
 * Hugging Face `tokenizer.json` (BPE: byte-level as GPT-2/Llama-3, and SentencePiece-style with `▁` and byte
 * fallback as Llama-2) through `@huggingface/tokenizers` — Hugging Face's own pure-JS port of the Rust
 * `tokenizers` pipeline (normalizer → pre-tokenizer → model → decoder), zero dependencies. We only add file
 * handling, validation with clear errors, and explicit BOS/EOS control: encode never applies the file's
 * post-processor template, so `{ bos, eos }` means exactly what it says for every family.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileFormatError } from '../types.ts';
import type { EncodeOptions } from './llama2c.ts';

export interface HfTokenizerFile {
  kind: 'hf';
  file: string;
  /** Largest id + 1 over the model vocabulary and added tokens. */
  vocabSize: number;
  /** Undefined when neither tokenizer_config.json nor the special tokens name one. */
  bos: number | undefined;
  eos: number | undefined;
  /** sha256 of tokenizer.json (hex). */
  hash: string;
  encode(text: string, opts?: EncodeOptions): number[];
  /** Text of a whole sequence; special tokens (BOS/EOS/pad) are skipped. */
  decodeAll(ids: ArrayLike<number>): string;
  decodeAllBytes(ids: ArrayLike<number>): Uint8Array;
  tokenToId(token: string): number | undefined;
}

type Json = Record<string, unknown>;

/** tokenizer.json given the file or its folder. */
export function hfTokenizerPath(path: string): string {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new FileFormatError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const file = isDir ? join(path, 'tokenizer.json') : path;
  if (isDir && !existsSync(file)) throw new FileFormatError(path, 'no tokenizer.json in this folder');
  return file;
}

function readJson(file: string): { bytes: Buffer; json: Json } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new FileFormatError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new FileFormatError(file, `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FileFormatError(file, 'is not a JSON object');
  return { bytes, json: json as Json };
}

export function loadHfTokenizer(path: string): HfTokenizerFile {
  const file = hfTokenizerPath(path);
  const { bytes, json } = readJson(file);
  const model = json.model as Json | undefined;
  if (!model || typeof model !== 'object') throw new FileFormatError(file, "has no 'model' object (not a tokenizer.json?)");
  if (model.type !== 'BPE')
    throw new FileFormatError(file, `tokenizer model type ${JSON.stringify(model.type)} is not supported (only BPE)`);
  if (typeof model.vocab !== 'object' || model.vocab === null || Array.isArray(model.vocab))
    throw new FileFormatError(file, "model.vocab must be an object of token → id");
  if (!Array.isArray(model.merges)) throw new FileFormatError(file, 'model.merges must be a list');
  const vocab = model.vocab as Record<string, unknown>;
  let maxId = -1;
  for (const [tok, id] of Object.entries(vocab)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new FileFormatError(file, `vocab entry ${JSON.stringify(tok)} has id ${JSON.stringify(id)}, not a non-negative integer`);
    maxId = Math.max(maxId, id as number);
  }
  for (const [i, m] of (model.merges as unknown[]).entries()) {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((p) => typeof p === 'string' && p in vocab))
      throw new FileFormatError(file, `merge #${i} ${JSON.stringify(m)} is not a pair of vocabulary tokens`);
  }
  const added = Array.isArray(json.added_tokens) ? (json.added_tokens as Json[]) : [];
  for (const a of added) {
    if (!Number.isSafeInteger(a.id) || typeof a.content !== 'string') throw new FileFormatError(file, `added token ${JSON.stringify(a)} needs an integer id and a string content`);
    maxId = Math.max(maxId, a.id as number);
  }
  const configFile = join(dirname(file), 'tokenizer_config.json');
  const config = existsSync(configFile) ? readJson(configFile).json : {};
  let tk: HfTokenizer;
  try {
    // The library insists on keys that the Rust format lets a file omit (they then mean "none").
    const complete = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json };
    tk = new HfTokenizer(complete, config);
  } catch (e) {
    throw new FileFormatError(file, `cannot build the tokenizer: ${(e as Error).message}`);
  }
  const special = (name: 'bos' | 'eos'): number | undefined => {
    const v = config[`${name}_token`];
    const content = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as Json).content : undefined;
    if (typeof content === 'string') {
      const id = tk.token_to_id(content);
      if (id === undefined) throw new FileFormatError(configFile, `${name}_token ${JSON.stringify(content)} is not in the vocabulary`);
      return id;
    }
    const guesses = name === 'bos' ? ['<s>', '<|begin_of_text|>', '<|endoftext|>', '<bos>'] : ['</s>', '<|end_of_text|>', '<|endoftext|>', '<eos>'];
    for (const g of guesses) {
      const a = added.find((t) => t.content === g);
      if (a) return a.id as number;
    }
    return undefined;
  };
  const bos = special('bos');
  const eos = special('eos');
  const hash = createHash('sha256').update(bytes).digest('hex');
  return {
    kind: 'hf',
    file,
    vocabSize: maxId + 1,
    bos,
    eos,
    hash,
    encode(text: string, opts: EncodeOptions = {}): number[] {
      const ids = tk.encode(text, { add_special_tokens: false }).ids;
      if (opts.bos) {
        if (bos === undefined) throw new FileFormatError(file, 'has no BOS token (set bos_token in tokenizer_config.json)');
        ids.unshift(bos);
      }
      if (opts.eos) {
        if (eos === undefined) throw new FileFormatError(file, 'has no EOS token (set eos_token in tokenizer_config.json)');
        ids.push(eos);
      }
      return ids;
    },
    decodeAll(ids: ArrayLike<number>): string {
      return tk.decode(Array.from(ids), { skip_special_tokens: true });
    },
    decodeAllBytes(ids: ArrayLike<number>): Uint8Array {
      return new TextEncoder().encode(this.decodeAll(ids));
    },
    tokenToId(token: string): number | undefined {
      return tk.token_to_id(token);
    },
  };
}
