/**
 * GGUF v2/v3 (llama.cpp, ggml/docs/gguf.md), little-endian:
 *   magic "GGUF" · u32 version · u64 tensor_count · u64 kv_count · kv_count × (string key, u32 type, value)
 *   · tensor_count × (string name, u32 n_dims, n_dims × u64 dims, u32 ggml_type, u64 offset)
 *   · padding to `general.alignment` (default 32) · tensor data (offsets relative to its start, aligned).
 * Strings are u64 length + UTF-8 bytes. Dims are listed innermost first (ne[0] is the row length), so the
 * row-major shape is the reverse: a [out, in] weight is stored with dims [in, out].
 *
 * Weights load as float32 from F32, F16 and BF16; quantised types are named in a clear error. llama.cpp's
 * converter permutes HF q/k rows back to the interleaved (adjacent-pair) RoPE layout of the original Llama
 * code, so GGUF llama checkpoints are `ropeLayout: 'adjacent'` (as llama2.c's).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { widenHalf } from './half.ts';
import { checkTensorSet, expectedTensors } from './tensor-names.ts';
import type { Checkpoint, HostTensor, TransformerConfig } from './types.ts';
import { FileFormatError } from './types.ts';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as u32 LE
export const GGUF_DEFAULT_ALIGNMENT = 32;

export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufTypeCode = (typeof GgufType)[keyof typeof GgufType];

/** u64/i64 values are bigint; every other number is a JS number; arrays hold one element type. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufKv {
  type: GgufTypeCode;
  /** For arrays: the element type. */
  elementType?: GgufTypeCode;
  value: GgufValue;
}

/** ggml tensor types by code: name, and (block elements, block bytes) where we know them for bounds checks. */
export const GGML_TYPES: Record<number, { name: string; block?: [number, number] }> = {
  0: { name: 'F32', block: [1, 4] },
  1: { name: 'F16', block: [1, 2] },
  2: { name: 'Q4_0', block: [32, 18] },
  3: { name: 'Q4_1', block: [32, 20] },
  6: { name: 'Q5_0', block: [32, 22] },
  7: { name: 'Q5_1', block: [32, 24] },
  8: { name: 'Q8_0', block: [32, 34] },
  9: { name: 'Q8_1', block: [32, 36] },
  10: { name: 'Q2_K' },
  11: { name: 'Q3_K' },
  12: { name: 'Q4_K' },
  13: { name: 'Q5_K' },
  14: { name: 'Q6_K' },
  15: { name: 'Q8_K' },
  16: { name: 'IQ2_XXS' },
  17: { name: 'IQ2_XS' },
  18: { name: 'IQ3_XXS' },
  19: { name: 'IQ1_S' },
  20: { name: 'IQ4_NL' },
  21: { name: 'IQ3_S' },
  22: { name: 'IQ2_S' },
  23: { name: 'IQ4_XS' },
  24: { name: 'I8', block: [1, 1] },
  25: { name: 'I16', block: [1, 2] },
  26: { name: 'I32', block: [1, 4] },
  27: { name: 'I64', block: [1, 8] },
  28: { name: 'F64', block: [1, 8] },
  29: { name: 'IQ1_M' },
  30: { name: 'BF16', block: [1, 2] },
  34: { name: 'TQ1_0' },
  35: { name: 'TQ2_0' },
  39: { name: 'MXFP4' },
};
const LOADABLE = new Set([0, 1, 30]);

export interface GgufTensorInfo {
  name: string;
  /** As stored: innermost first. */
  dims: number[];
  /** Row-major (outermost first): dims reversed. */
  shape: number[];
  type: number;
  typeName: string;
  /** Relative to the data section. */
  offset: number;
  /** Undefined for types whose block size we do not know. */
  bytes?: number;
}

export interface GgufHeader {
  file: string;
  version: number;
  fileBytes: number;
  metadata: Map<string, GgufKv>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute offset of the tensor data section. */
  dataStart: number;
}

/** Buffered little-endian reader over a file descriptor; every short read names what was being read. */
class Reader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(readonly fd: number, readonly file: string, readonly size: number) {}

  private ensure(n: number, what: string): number {
    if (this.pos + n > this.size)
      throw new FileFormatError(this.file, `truncated: file ends at byte ${this.size} inside ${what} (needs ${this.pos + n})`);
    const rel = this.pos - this.bufStart;
    if (rel >= 0 && rel + n <= this.buf.length) return rel;
    const len = Math.min(Math.max(n, 1 << 20), this.size - this.pos);
    this.buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const r = readSync(this.fd, this.buf, got, len - got, this.pos + got);
      if (r === 0) throw new FileFormatError(this.file, `truncated: read stopped at byte ${this.pos + got} inside ${what}`);
      got += r;
    }
    this.bufStart = this.pos;
    return 0;
  }
  u8(what: string): number {
    const o = this.ensure(1, what);
    this.pos += 1;
    return this.buf.readUInt8(o);
  }
  i8(what: string): number {
    const o = this.ensure(1, what);
    this.pos += 1;
    return this.buf.readInt8(o);
  }
  u16(what: string): number {
    const o = this.ensure(2, what);
    this.pos += 2;
    return this.buf.readUInt16LE(o);
  }
  i16(what: string): number {
    const o = this.ensure(2, what);
    this.pos += 2;
    return this.buf.readInt16LE(o);
  }
  u32(what: string): number {
    const o = this.ensure(4, what);
    this.pos += 4;
    return this.buf.readUInt32LE(o);
  }
  i32(what: string): number {
    const o = this.ensure(4, what);
    this.pos += 4;
    return this.buf.readInt32LE(o);
  }
  f32(what: string): number {
    const o = this.ensure(4, what);
    this.pos += 4;
    return this.buf.readFloatLE(o);
  }
  f64(what: string): number {
    const o = this.ensure(8, what);
    this.pos += 8;
    return this.buf.readDoubleLE(o);
  }
  u64(what: string): bigint {
    const o = this.ensure(8, what);
    this.pos += 8;
    return this.buf.readBigUInt64LE(o);
  }
  i64(what: string): bigint {
    const o = this.ensure(8, what);
    this.pos += 8;
    return this.buf.readBigInt64LE(o);
  }
  /** A u64 count or size that must fit the rest of the file (at `minBytesEach` bytes per item). */
  count(what: string, minBytesEach: number): number {
    const n = this.u64(what);
    const room = BigInt(Math.max(0, this.size - this.pos));
    if (n * BigInt(minBytesEach) > room)
      throw new FileFormatError(this.file, `${what} ${n} cannot fit in the remaining ${room} bytes (corrupt or truncated)`);
    return Number(n);
  }
  string(what: string): string {
    const n = this.count(`length of ${what}`, 1);
    const o = this.ensure(n, what);
    this.pos += n;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.buf.subarray(o, o + n));
    } catch {
      throw new FileFormatError(this.file, `${what} is not valid UTF-8`);
    }
  }
}

const MIN_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8 };

function readValue(r: Reader, type: number, what: string, depth = 0): { value: GgufValue; elementType?: GgufTypeCode } {
  switch (type) {
    case GgufType.UINT8:
      return { value: r.u8(what) };
    case GgufType.INT8:
      return { value: r.i8(what) };
    case GgufType.UINT16:
      return { value: r.u16(what) };
    case GgufType.INT16:
      return { value: r.i16(what) };
    case GgufType.UINT32:
      return { value: r.u32(what) };
    case GgufType.INT32:
      return { value: r.i32(what) };
    case GgufType.FLOAT32:
      return { value: r.f32(what) };
    case GgufType.BOOL: {
      const b = r.u8(what);
      if (b > 1) throw new FileFormatError(r.file, `${what}: bool value ${b} is neither 0 nor 1`);
      return { value: b === 1 };
    }
    case GgufType.STRING:
      return { value: r.string(what) };
    case GgufType.UINT64:
      return { value: r.u64(what) };
    case GgufType.INT64:
      return { value: r.i64(what) };
    case GgufType.FLOAT64:
      return { value: r.f64(what) };
    case GgufType.ARRAY: {
      if (depth > 8) throw new FileFormatError(r.file, `${what}: arrays nested deeper than 8 levels`);
      const et = r.u32(`element type of ${what}`);
      if (!(et in MIN_BYTES)) throw new FileFormatError(r.file, `${what}: unknown array element type ${et}`);
      const n = r.count(`element count of ${what}`, MIN_BYTES[et]);
      const out: GgufValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r, et, `${what}[${i}]`, depth + 1).value;
      return { value: out, elementType: et as GgufTypeCode };
    }
    default:
      throw new FileFormatError(r.file, `${what}: unknown value type ${type}`);
  }
}

function openFd(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (e) {
    throw new FileFormatError(file, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function parseHeader(fd: number, file: string): GgufHeader {
  const size = fstatSync(fd).size;
  const r = new Reader(fd, file, size);
  if (size < 4 || r.u32('magic') !== GGUF_MAGIC) throw new FileFormatError(file, "not a GGUF file (magic is not 'GGUF')");
  const version = r.u32('version');
  if (version !== 2 && version !== 3)
    throw new FileFormatError(file, `GGUF version ${version} is not supported (versions 2 and 3 are; re-convert the model with a recent llama.cpp)`);
  const tensorCount = r.count('tensor count', 24);
  const kvCount = r.count('metadata count', 13);
  const metadata = new Map<string, GgufKv>();
  for (let i = 0; i < kvCount; i++) {
    const key = r.string(`metadata key #${i}`);
    if (metadata.has(key)) throw new FileFormatError(file, `metadata key '${key}' appears twice`);
    const type = r.u32(`type of metadata '${key}'`);
    const { value, elementType } = readValue(r, type, `metadata '${key}'`);
    metadata.set(key, { type: type as GgufTypeCode, value, ...(elementType !== undefined ? { elementType } : {}) });
  }
  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const al = metadata.get('general.alignment');
  if (al) {
    if (al.type !== GgufType.UINT32 || typeof al.value !== 'number' || al.value === 0 || (al.value & (al.value - 1)) !== 0)
      throw new FileFormatError(file, `general.alignment must be a u32 power of two, got ${String(al.value)}`);
    alignment = al.value;
  }
  const tensors: GgufTensorInfo[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = r.string(`tensor name #${i}`);
    const what = `tensor '${name}'`;
    if (seen.has(name)) throw new FileFormatError(file, `${what} appears twice`);
    seen.add(name);
    const nDims = r.u32(`${what} dimension count`);
    if (nDims < 1 || nDims > 4) throw new FileFormatError(file, `${what}: ${nDims} dimensions (GGUF allows 1 to 4)`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const v = r.u64(`${what} dimension ${d}`);
      if (v === 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FileFormatError(file, `${what}: dimension ${d} is ${v}`);
      dims.push(Number(v));
    }
    const type = r.u32(`${what} type`);
    const info = GGML_TYPES[type];
    if (!info) throw new FileFormatError(file, `${what}: unknown ggml type ${type}`);
    const offset = r.u64(`${what} offset`);
    if (offset > BigInt(size)) throw new FileFormatError(file, `${what}: data offset ${offset} lies past the end of the ${size}-byte file (truncated?)`);
    if (Number(offset) % alignment !== 0) throw new FileFormatError(file, `${what}: data offset ${offset} is not a multiple of the alignment ${alignment}`);
    let bytes: number | undefined;
    if (info.block) {
      const numel = dims.reduce((a, b) => a * b, 1);
      const [be, bb] = info.block;
      if (dims[0] % be !== 0) throw new FileFormatError(file, `${what}: row length ${dims[0]} is not a multiple of the ${info.name} block size ${be}`);
      bytes = (numel / be) * bb;
    }
    tensors.push({ name, dims, shape: [...dims].reverse(), type, typeName: info.name, offset: Number(offset), ...(bytes !== undefined ? { bytes } : {}) });
  }
  const dataStart = Math.ceil(r.pos / alignment) * alignment;
  const dataBytes = size - dataStart;
  if (tensorCount > 0 && dataBytes < 0) throw new FileFormatError(file, `truncated: the tensor data section would start at byte ${dataStart}, past the end of the ${size}-byte file`);
  const sorted = tensors.filter((t) => t.bytes !== undefined).sort((a, b) => a.offset - b.offset);
  let prev: GgufTensorInfo | undefined;
  for (const t of sorted) {
    if (t.offset + t.bytes! > dataBytes)
      throw new FileFormatError(file, `tensor '${t.name}': data [${t.offset}, ${t.offset + t.bytes!}) runs past the ${Math.max(0, dataBytes)}-byte data section (truncated?)`);
    if (prev && t.offset < prev.offset + prev.bytes!)
      throw new FileFormatError(file, `tensor '${t.name}': data at offset ${t.offset} overlaps tensor '${prev.name}'`);
    prev = t;
  }
  return { file, version, fileBytes: size, metadata, tensors, alignment, dataStart };
}

/** Header, metadata and tensor infos; reads no tensor data. */
export function readGgufHeader(file: string): GgufHeader {
  const fd = openFd(file);
  try {
    return parseHeader(fd, file);
  } finally {
    closeSync(fd);
  }
}

/** A metadata value as a JS number (u64/i64 included when they are safe integers). */
export function ggufNumber(h: GgufHeader, key: string): number | undefined {
  const kv = h.metadata.get(key);
  if (!kv) return undefined;
  const v = kv.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  throw new FileFormatError(h.file, `metadata '${key}' must be a number, got ${typeof v === 'bigint' ? v.toString() : JSON.stringify(v)}`);
}

export function ggufString(h: GgufHeader, key: string): string | undefined {
  const kv = h.metadata.get(key);
  if (!kv) return undefined;
  if (typeof kv.value !== 'string') throw new FileFormatError(h.file, `metadata '${key}' must be a string`);
  return kv.value;
}

function requireInt(h: GgufHeader, key: string, fallback?: number): number {
  const v = ggufNumber(h, key) ?? fallback;
  if (v === undefined) throw new FileFormatError(h.file, `missing metadata '${key}'`);
  if (!Number.isSafeInteger(v) || v <= 0) throw new FileFormatError(h.file, `metadata '${key}' must be a positive integer, got ${v}`);
  return v;
}

/** TransformerConfig from a llama GGUF's `llama.*` keys (+ tensor shapes where keys are optional). */
export function ggufLlamaConfig(h: GgufHeader): TransformerConfig {
  const arch = ggufString(h, 'general.architecture');
  if (arch === undefined) throw new FileFormatError(h.file, "missing metadata 'general.architecture'");
  if (arch !== 'llama') throw new FileFormatError(h.file, `GGUF architecture '${arch}' is not supported (only 'llama')`);
  const k = (s: string) => `llama.${s}`;
  if ((ggufNumber(h, k('expert_count')) ?? 0) > 0) throw new FileFormatError(h.file, 'mixture-of-experts llama models are not supported');
  const scaling = ggufString(h, k('rope.scaling.type'));
  if (scaling !== undefined && scaling !== 'none') throw new FileFormatError(h.file, `rope scaling '${scaling}' is not supported (only plain RoPE)`);
  const dModel = requireInt(h, k('embedding_length'));
  const heads = requireInt(h, k('attention.head_count'));
  const kvHeads = requireInt(h, k('attention.head_count_kv'), heads);
  if (heads % kvHeads !== 0) throw new FileFormatError(h.file, `head_count ${heads} is not a multiple of head_count_kv ${kvHeads}`);
  const headDim = requireInt(h, k('attention.key_length'), dModel % heads === 0 ? dModel / heads : undefined);
  const embd = h.tensors.find((t) => t.name === 'token_embd.weight');
  const tokens = h.metadata.get('tokenizer.ggml.tokens');
  const vocabFallback = embd?.shape[0] ?? (Array.isArray(tokens?.value) ? tokens!.value.length : undefined);
  const eps = ggufNumber(h, k('attention.layer_norm_rms_epsilon'));
  if (eps === undefined) throw new FileFormatError(h.file, `missing metadata '${k('attention.layer_norm_rms_epsilon')}'`);
  return {
    family: 'llama',
    dModel,
    layers: requireInt(h, k('block_count')),
    heads,
    kvHeads,
    headDim,
    vocab: requireInt(h, k('vocab_size'), vocabFallback),
    maxSeqLen: requireInt(h, k('context_length')),
    ffnHidden: requireInt(h, k('feed_forward_length')),
    norm: 'rms',
    normEps: eps,
    positions: 'rope',
    ropeLayout: 'adjacent',
    ropeTheta: ggufNumber(h, k('rope.freq_base')) ?? 10000,
    rotaryDim: requireInt(h, k('rope.dimension_count'), headDim),
    mlp: 'swiglu',
    parallelBlock: false,
    tiedEmbeddings: !h.tensors.some((t) => t.name === 'output.weight'),
    attnBias: false,
    mlpBias: false,
    lmHeadBias: false,
  };
}

/** GGUF llama tensor name → HF Llama name (undefined for names with no HF counterpart). */
export function ggufToHfName(name: string): string | undefined {
  const fixed: Record<string, string> = {
    'token_embd.weight': 'model.embed_tokens.weight',
    'output_norm.weight': 'model.norm.weight',
    'output.weight': 'lm_head.weight',
  };
  if (fixed[name]) return fixed[name];
  const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(name);
  if (!m) return undefined;
  const per: Record<string, string> = {
    attn_norm: 'input_layernorm',
    attn_q: 'self_attn.q_proj',
    attn_k: 'self_attn.k_proj',
    attn_v: 'self_attn.v_proj',
    attn_output: 'self_attn.o_proj',
    ffn_norm: 'post_attention_layernorm',
    ffn_gate: 'mlp.gate_proj',
    ffn_up: 'mlp.up_proj',
    ffn_down: 'mlp.down_proj',
  };
  return per[m[2]] ? `model.layers.${m[1]}.${per[m[2]]}.weight` : undefined;
}

export function loadGguf(file: string): Checkpoint {
  const fd = openFd(file);
  try {
    const h = parseHeader(fd, file);
    const config = ggufLlamaConfig(h);
    const tensors = new Map<string, HostTensor>();
    for (const t of h.tensors) {
      const hf = ggufToHfName(t.name);
      if (!hf) throw new FileFormatError(file, `tensor '${t.name}' has no Llama counterpart (unsupported GGUF tensor)`);
      if (!LOADABLE.has(t.type))
        throw new FileFormatError(file, `tensor '${t.name}' has ggml type ${t.typeName}; only F32, F16 and BF16 weights can be loaded (dequantise first, e.g. llama.cpp's convert with --outtype f16)`);
      tensors.set(hf, readTensor(fd, h, t));
    }
    const problem = checkTensorSet(tensors, expectedTensors(config));
    if (problem) throw new FileFormatError(file, problem);
    return { format: 'gguf', path: file, config, tensors };
  } finally {
    closeSync(fd);
  }
}

function readTensor(fd: number, h: GgufHeader, t: GgufTensorInfo): HostTensor {
  const bytes = t.bytes!;
  const pos = h.dataStart + t.offset;
  const target = t.type === 0 ? new Float32Array(bytes / 4) : undefined;
  const raw = target ? new Uint8Array(target.buffer) : new Uint8Array(bytes);
  let got = 0;
  while (got < bytes) {
    const n = readSync(fd, raw, got, bytes - got, pos + got);
    if (n === 0) throw new FileFormatError(h.file, `tensor '${t.name}': file ends inside its data (truncated?)`);
    got += n;
  }
  const data = target ?? widenHalf(raw, t.type === 1 ? 'f16' : 'bf16');
  return { shape: [...t.shape], data };
}
