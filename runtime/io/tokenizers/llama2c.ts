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
  /** Piece id of each one-byte string (most code points of English text), without building a string. */
  private readonly singleByte: (number | undefined)[];

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
    this.singleByte = Array.from({ length: 256 }, (_, b) => this.lookup.get(String.fromCharCode(b)));
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
      const id = end - start === 1 ? this.singleByte[bytes[start]] : this.lookup.get(latin1(bytes.subarray(start, end)));
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
      heap.push(score, left, right, id, version[left], version[right]);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    const c = heap.top;
    while (heap.pop()) {
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

/**
 * Max-heap of candidate merges on score; ties go to the leftmost pair (node indices keep list order, as
 * run.c's scan). Struct-of-arrays in typed arrays: no allocation per candidate on million-token inputs.
 */
class PairHeap {
  private n = 0;
  private score = new Float64Array(64);
  private left = new Int32Array(64);
  private right = new Int32Array(64);
  private id = new Int32Array(64);
  private lv = new Int32Array(64);
  private rv = new Int32Array(64);
  /** The last popped candidate. */
  top = { score: 0, left: 0, right: 0, id: 0, leftVersion: 0, rightVersion: 0 };

  private better(a: number, b: number): boolean {
    return this.score[a] > this.score[b] || (this.score[a] === this.score[b] && this.left[a] < this.left[b]);
  }

  private swap(a: number, b: number): void {
    const s = this.score[a];
    this.score[a] = this.score[b];
    this.score[b] = s;
    swapInt(this.left, a, b);
    swapInt(this.right, a, b);
    swapInt(this.id, a, b);
    swapInt(this.lv, a, b);
    swapInt(this.rv, a, b);
  }

  private grow(): void {
    const cap = this.score.length * 2;
    const g = <T extends Float64Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.score = g(this.score);
    this.left = g(this.left);
    this.right = g(this.right);
    this.id = g(this.id);
    this.lv = g(this.lv);
    this.rv = g(this.rv);
  }

  push(score: number, left: number, right: number, id: number, leftVersion: number, rightVersion: number): void {
    if (this.n === this.score.length) this.grow();
    let i = this.n++;
    this.score[i] = score;
    this.left[i] = left;
    this.right[i] = right;
    this.id[i] = id;
    this.lv[i] = leftVersion;
    this.rv[i] = rightVersion;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.better(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Moves the best candidate into `top`; false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const t = this.top;
    t.score = this.score[0];
    t.left = this.left[0];
    t.right = this.right[0];
    t.id = this.id[0];
    t.leftVersion = this.lv[0];
    t.rightVersion = this.rv[0];
    this.n--;
    if (this.n > 0) {
      this.swap(0, this.n);
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.n && this.better(l, best)) best = l;
        if (r < this.n && this.better(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return true;
  }
}

function swapInt(arr: Int32Array, a: number, b: number): void {
  const t = arr[a];
  arr[a] = arr[b];
  arr[b] = t;
}
