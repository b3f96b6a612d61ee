/**
 * The llama2.c tokenizer `.bin` (format in ../shared/data/README.md §2), reproducing llama2.c `run.c`
 * byte for byte:
 *  - encode: optional BOS, the dummy-prefix piece " " when the text is non-empty, one piece per UTF-8 code
 *    point (run.c's grouping: a lead byte plus at most 3 continuation bytes) or byte fallback id = byte + 3,
 *    then repeatedly merge the adjacent pair whose concatenation is a piece with the highest score (> −1e10),
 *    leftmost on ties; BOS takes part in merging exactly as in run.c; optional EOS.
 *  - decode(prev, id): drop the piece's leading space after BOS; a `<0xXX>` piece is the raw byte; then
 *    run.c's `safe_printf` rule (a single-byte piece that is neither printable ASCII nor whitespace prints
 *    nothing — this hides every byte-fallback byte ≥ 0x80 from run.c's output).
 * C-string semantics are kept where they matter: text stops at a NUL byte and pieces compare up to their first
 * NUL, as strcmp/sprintf see them. Where run.c is undefined (duplicate pieces: bsearch may return either),
 * the lowest id wins.
 *
 * Merging uses a heap of candidate pairs over a linked list with lazy invalidation: the same sequence of
 * merges as run.c's rescans, in O(n log n) instead of O(n²).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FileFormatError } from '../types.ts';

export const LLAMA2C_BOS = 1;
export const LLAMA2C_EOS = 2;
/** run.c's initial best_score: merges whose score is not above it never happen. */
const MIN_SCORE = -1e10;
const MAX_TOKEN_LENGTH_LIMIT = 1 << 16;

export interface EncodeOptions {
  bos?: boolean;
  eos?: boolean;
}

export interface Llama2cTokenizer {
  kind: 'llama2c';
  file: string;
  vocabSize: number;
  bos: number;
  eos: number;
  maxTokenLength: number;
  /** sha256 of the file bytes (hex). */
  hash: string;
  /** Piece bytes as run.c sees them (up to the first NUL). */
  pieces: Uint8Array[];
  scores: Float32Array;
  encode(text: string | Uint8Array, opts?: EncodeOptions): number[];
  /** The bytes run.c prints for `id` following `prevId` (decode + safe_printf). */
  decodeBytes(prevId: number, id: number): Uint8Array;
  decode(prevId: number, id: number): string;
  /** run.c's stdout for a token sequence: BOS tokens are never printed (they start a sequence). */
  decodeAllBytes(ids: ArrayLike<number>): Uint8Array;
  decodeAll(ids: ArrayLike<number>): string;
}

export interface LoadOptions {
  /** The model's vocab size (the file does not store it). Default: read entries until the end of the file. */
  vocabSize?: number;
}

export function loadLlama2cTokenizer(file: string, opts: LoadOptions = {}): Llama2cTokenizer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new FileFormatError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseLlama2cTokenizer(file, bytes, opts);
}

export function parseLlama2cTokenizer(file: string, bytes: Uint8Array, opts: LoadOptions = {}): Llama2cTokenizer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (problem: string) => new FileFormatError(file, `not a llama2.c tokenizer: ${problem}`);
  if (buf.length < 4) throw bad(`${buf.length} bytes, shorter than the 4-byte max_token_length`);
  const maxTokenLength = buf.readInt32LE(0);
  if (maxTokenLength < 1 || maxTokenLength > MAX_TOKEN_LENGTH_LIMIT)
    throw bad(`max_token_length ${maxTokenLength} is out of range 1..${MAX_TOKEN_LENGTH_LIMIT}`);
  const pieces: Uint8Array[] = [];
  const scoreList: number[] = [];
  let off = 4;
  const limit = opts.vocabSize ?? Infinity;
  while (pieces.length < limit && (opts.vocabSize !== undefined || off < buf.length)) {
    const i = pieces.length;
    if (off + 8 > buf.length) throw bad(`truncated inside the entry of token ${i} (file ends at byte ${buf.length})`);
    const score = buf.readFloatLE(off);
    const len = buf.readInt32LE(off + 4);
    off += 8;
    if (len < 0 || len > maxTokenLength) throw bad(`token ${i} has length ${len}, outside 0..max_token_length (${maxTokenLength})`);
    if (off + len > buf.length) throw bad(`truncated inside the bytes of token ${i} (needs ${len} bytes at offset ${off})`);
    const raw = buf.subarray(off, off + len);
    const nul = raw.indexOf(0);
    pieces.push(new Uint8Array(nul < 0 ? raw : raw.subarray(0, nul)));
    scoreList.push(score);
    off += len;
  }
  if (pieces.length < 259)
    throw bad(`${pieces.length} tokens; byte fallback needs at least 259 (<unk>, BOS, EOS and 256 byte pieces)`);
  const hash = createHash('sha256').update(buf).digest('hex');
  return new Tokenizer(file, pieces, Float32Array.from(scoreList), maxTokenLength, hash);
}

const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const utf8 = new TextDecoder('utf-8');
const EMPTY = new Uint8Array(0);

class Tokenizer implements Llama2cTokenizer {
  readonly kind = 'llama2c' as const;
  readonly bos = LLAMA2C_BOS;
  readonly eos = LLAMA2C_EOS;
  readonly vocabSize: number;
  /** Piece bytes as a latin1 string → lowest id (a byte-exact key that concatenates like C strings). */
  private readonly lookup = new Map<string, number>();
  private readonly keys: string[];
  private readonly printed: Uint8Array[][];

  constructor(
    readonly file: string,
    readonly pieces: Uint8Array[],
    readonly scores: Float32Array,
    readonly maxTokenLength: number,
    readonly hash: string,
  ) {
    this.vocabSize = pieces.length;
    this.keys = pieces.map(latin1);
    this.keys.forEach((k, id) => {
      if (!this.lookup.has(k)) this.lookup.set(k, id);
    });
    // What run.c prints per token, after a BOS (index 1) and after anything else (index 0).
    this.printed = pieces.map((p) => [printable(p), printable(p[0] === 0x20 ? p.subarray(1) : p)]);
  }

  encode(text: string | Uint8Array, opts: EncodeOptions = {}): number[] {
    let bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    const nul = bytes.indexOf(0);
    if (nul >= 0) bytes = bytes.subarray(0, nul);
    const ids: number[] = [];
    if (opts.bos) ids.push(LLAMA2C_BOS);
    if (bytes.length > 0) {
      const space = this.lookup.get(' ');
      if (space === undefined) throw new FileFormatError(this.file, "has no ' ' piece, which run.c's dummy prefix needs");
      ids.push(space);
    }
    // Code points as run.c groups them: a new group at every non-continuation byte, capped at 4 bytes.
    let start = 0;
    while (start < bytes.length) {
      let end = start + 1;
      while (end < bytes.length && (bytes[end] & 0xc0) === 0x80 && end - start < 4) end++;
      const id = this.lookup.get(latin1(bytes.subarray(start, end)));
      if (id !== undefined) ids.push(id);
      else for (let i = start; i < end; i++) ids.push(bytes[i] + 3);
      start = end;
    }
    const merged = this.merge(ids);
    if (opts.eos) merged.push(LLAMA2C_EOS);
    return merged;
  }

  private merge(ids: number[]): number[] {
    const n = ids.length;
    if (n < 2) return ids;
    const tok = Int32Array.from(ids);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    const version = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new PairHeap();
    const consider = (left: number) => {
      const right = next[left];
      if (right < 0) return;
      const id = this.lookup.get(this.keys[tok[left]] + this.keys[tok[right]]);
      if (id === undefined) return;
      const score = this.scores[id];
      if (!(score > MIN_SCORE)) return;
      heap.push({ score, left, right, id, leftVersion: version[left], rightVersion: version[right] });
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    for (;;) {
      const c = heap.pop();
      if (!c) break;
      // Stale if either node was merged away or rewritten since this pair was seen.
      if (version[c.left] !== c.leftVersion || version[c.right] !== c.rightVersion || next[c.left] !== c.right) continue;
      tok[c.left] = c.id;
      version[c.left]++;
      version[c.right] = -1;
      const after = next[c.right];
      next[c.left] = after;
      if (after >= 0) prev[after] = c.left;
      if (prev[c.left] >= 0) consider(prev[c.left]);
      consider(c.left);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(tok[i]);
    return out;
  }

  decodeBytes(prevId: number, id: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return this.printed[id][prevId === LLAMA2C_BOS ? 1 : 0];
  }

  decode(prevId: number, id: number): string {
    return utf8.decode(this.decodeBytes(prevId, id));
  }

  decodeAllBytes(ids: ArrayLike<number>): Uint8Array {
    const parts: Uint8Array[] = [];
    let prev = -1;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== LLAMA2C_BOS) parts.push(this.decodeBytes(prev, ids[i]));
      prev = ids[i];
    }
    return Buffer.concat(parts);
  }

  decodeAll(ids: ArrayLike<number>): string {
    return utf8.decode(this.decodeAllBytes(ids));
  }
}

/** run.c decode's `<0x%02hhX>` test: "<0x", optional whitespace, one or two hex digits (sscanf stops there). */
const BYTE_PIECE = /^<0x[\t\n\v\f\r ]*([0-9A-Fa-f]{1,2})/;

/** decode's byte-piece mapping followed by safe_printf. */
function printable(piece: Uint8Array): Uint8Array {
  let p = piece;
  const m = BYTE_PIECE.exec(latin1(p));
  if (m) {
    const b = parseInt(m[1], 16);
    // byte_pieces holds "\0" for byte 0: an empty C string.
    p = b === 0 ? EMPTY : Uint8Array.of(b);
  }
  if (p.length === 0) return EMPTY;
  if (p.length === 1 && !isPrintOrSpace(p[0])) return EMPTY;
  return p;
}

/** C-locale isprint || isspace. */
function isPrintOrSpace(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d);
}

interface Candidate {
  score: number;
  left: number;
  right: number;
  id: number;
  leftVersion: number;
  rightVersion: number;
}

/** Max-heap on score; ties go to the leftmost pair (node indices keep list order, as run.c's scan). */
class PairHeap {
  private items: Candidate[] = [];
  private better(a: Candidate, b: Candidate): boolean {
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }
  push(c: Candidate): void {
    const h = this.items;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }
  pop(): Candidate | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && this.better(h[l], h[best])) best = l;
        if (r < h.length && this.better(h[r], h[best])) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best], h[i]];
        i = best;
      }
    }
    return top;
  }
}
