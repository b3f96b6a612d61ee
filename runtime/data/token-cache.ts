/**
 * Tokenized text with an on-disk cache keyed by (tokenizer file sha256, text file sha256, protocol, cache
 * format version): re-tokenizing valid.txt costs ~1 s, reading the cache a few ms. A cache file that is
 * corrupt, truncated or written for another key is ignored and rewritten, never trusted. Files are written
 * atomically, so concurrent runs at worst both compute the same thing.
 *
 * File layout: "MOHAWKTK" · u32 version · u32 JSON length · JSON {key fields, counts} · pad to 4 ·
 * int32 tokens · int32 starts (little-endian). The JSON carries the payload's sha256, so a flipped bit anywhere
 * is caught.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/atomic-write.ts';
import type { Tokenizer } from '../io/tokenizers/index.ts';
import { FileFormatError } from '../io/types.ts';
import { decodeUtf8 } from './text.ts';
import { type TextProtocol, type TokenizedText, tokenizeText } from './tokenize.ts';

const MAGIC = 'MOHAWKTK';
export const TOKEN_CACHE_VERSION = 1;

/** `<repo>/.cache/tokens` (git-ignored). */
export const DEFAULT_TOKEN_CACHE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '.cache', 'tokens');

export interface TokenCacheKey {
  tokenizerSha256: string;
  textSha256: string;
  protocol: TextProtocol;
  version: number;
}

export interface LoadTokensOptions {
  /** Default DEFAULT_TOKEN_CACHE; `false` disables the cache. */
  cacheDir?: string | false;
}

export interface LoadedTokens extends TokenizedText {
  key: TokenCacheKey;
  /** Whether the tokens came from the cache. */
  cached: boolean;
  cacheFile?: string;
}

export function cacheFileName(key: TokenCacheKey): string {
  const id = createHash('sha256').update(JSON.stringify([key.tokenizerSha256, key.textSha256, key.protocol, key.version])).digest('hex');
  return `${id.slice(0, 32)}.tokens`;
}

export function loadTokenizedFile(textFile: string, tokenizer: Tokenizer, protocol: TextProtocol, opts: LoadTokensOptions = {}): LoadedTokens {
  let bytes: Buffer;
  try {
    bytes = readFileSync(textFile);
  } catch (e) {
    throw new FileFormatError(textFile, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const key: TokenCacheKey = {
    tokenizerSha256: tokenizer.hash,
    textSha256: createHash('sha256').update(bytes).digest('hex'),
    protocol,
    version: TOKEN_CACHE_VERSION,
  };
  const dir = opts.cacheDir === undefined ? DEFAULT_TOKEN_CACHE : opts.cacheDir;
  const cacheFile = dir === false ? undefined : join(dir, cacheFileName(key));
  if (cacheFile && existsSync(cacheFile)) {
    const hit = readCache(cacheFile, key);
    if (hit) return { ...hit, key, cached: true, cacheFile };
  }
  const t = tokenizeText(decodeUtf8(textFile, bytes), tokenizer, protocol);
  if (cacheFile) {
    try {
      mkdirSync(dirname(cacheFile), { recursive: true });
      writeFileAtomic(cacheFile, encodeCache(t, key));
    } catch {
      /* a read-only or full cache directory only costs speed */
    }
  }
  return { ...t, key, cached: false, ...(cacheFile ? { cacheFile } : {}) };
}

function payloadSha256(tokens: Int32Array, starts: Int32Array): string {
  const u8 = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return createHash('sha256').update(u8(tokens)).update(u8(starts)).digest('hex');
}

export function encodeCache(t: TokenizedText, key: TokenCacheKey): Uint8Array[] {
  const json = Buffer.from(
    JSON.stringify({ ...key, tokens: t.tokens.length, sequences: t.starts.length - 1, payloadSha256: payloadSha256(t.tokens, t.starts) }),
    'utf8',
  );
  const head = Buffer.alloc(16);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(key.version, 8);
  head.writeUInt32LE(json.length, 12);
  const pad = Buffer.alloc((4 - ((16 + json.length) % 4)) % 4, 0x20);
  const u8 = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  return [head, json, pad, u8(t.tokens), u8(t.starts)];
}

/** The cached tokens, or undefined when the file is not a valid cache for `key`. */
export function readCache(file: string, key: TokenCacheKey): TokenizedText | undefined {
  try {
    const b = readFileSync(file);
    if (b.length < 16 || b.toString('latin1', 0, 8) !== MAGIC || b.readUInt32LE(8) !== key.version) return undefined;
    const n = b.readUInt32LE(12);
    if (16 + n > b.length) return undefined;
    const h = JSON.parse(b.toString('utf8', 16, 16 + n));
    if (h.tokenizerSha256 !== key.tokenizerSha256 || h.textSha256 !== key.textSha256 || h.protocol !== key.protocol) return undefined;
    const off = 16 + n + ((4 - ((16 + n) % 4)) % 4);
    const tokensBytes = h.tokens * 4;
    const startsBytes = (h.sequences + 1) * 4;
    if (!Number.isSafeInteger(h.tokens) || !Number.isSafeInteger(h.sequences) || off + tokensBytes + startsBytes !== b.length) return undefined;
    const tokens = new Int32Array(h.tokens);
    new Uint8Array(tokens.buffer).set(b.subarray(off, off + tokensBytes));
    const starts = new Int32Array(h.sequences + 1);
    new Uint8Array(starts.buffer).set(b.subarray(off + tokensBytes, off + tokensBytes + startsBytes));
    if (payloadSha256(tokens, starts) !== h.payloadSha256) return undefined;
    return { protocol: key.protocol, tokens, starts };
  } catch {
    return undefined;
  }
}
