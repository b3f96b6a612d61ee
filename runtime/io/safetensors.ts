/**
 * safetensors (https://github.com/huggingface/safetensors): u64 LE header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then the data region;
 * offsets are relative to the data region. Validation follows the reference Rust library: header bounds, known
 * dtypes, offsets inside the data region, byte length = numel × itemsize, and tensors tiling the data region
 * exactly (no overlap, no hole, no trailing bytes). Every problem is a FileFormatError naming the file and tensor.
 *
 * Weights are read as float32: F32 as is, F16/BF16 widened exactly. Integer dtypes are parsed and validated in
 * the header (so a file holding them can be inspected) but refused as weights.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.ts';
import { narrowHalf, widenHalf } from './half.ts';
import type { HostTensor } from './types.ts';
import { FileFormatError } from './types.ts';

/** The reference library refuses headers over 100 MB; so do we (a bigger "header" is a corrupt length). */
export const MAX_HEADER_BYTES = 100_000_000;

export const ITEM_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;
export type SafetensorsDType = keyof typeof ITEM_BYTES;
export const FLOAT_DTYPES: readonly SafetensorsDType[] = ['F32', 'F16', 'BF16'];

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Byte offsets relative to the start of the data region. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  fileBytes: number;
  /** Absolute file offset where the data region starts (8 + header length). */
  dataStart: number;
  /** In header order. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

export interface SafetensorsContents {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

function openForRead(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (e) {
    throw new FileFormatError(file, `cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function readExactly(fd: number, file: string, into: Uint8Array, position: number, what: string): void {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, position + got);
    if (n === 0) throw new FileFormatError(file, `${what}: file ends after ${position + got} bytes (truncated?)`);
    got += n;
  }
}

function parseHeaderFromFd(fd: number, file: string): SafetensorsHeader {
  const fileBytes = fstatSync(fd).size;
  if (fileBytes < 8) throw new FileFormatError(file, `not a safetensors file: ${fileBytes} bytes, shorter than the 8-byte header length`);
  const lenBuf = Buffer.alloc(8);
  readExactly(fd, file, lenBuf, 0, 'header length');
  const n = lenBuf.readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw new FileFormatError(file, `not a safetensors file: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerBytes = Number(n);
  if (8 + headerBytes > fileBytes)
    throw new FileFormatError(file, `header length ${headerBytes} runs past the end of the ${fileBytes}-byte file (truncated?)`);
  const raw = Buffer.alloc(headerBytes);
  readExactly(fd, file, raw, 8, 'header');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new FileFormatError(file, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new FileFormatError(file, "header does not start with '{' (not a safetensors file?)");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(file, `header is not valid JSON: ${(e as Error).message}`);
  }
  return validateHeader(file, json, fileBytes, 8 + headerBytes);
}

function validateHeader(file: string, json: unknown, fileBytes: number, dataStart: number): SafetensorsHeader {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FileFormatError(file, 'header JSON is not an object');
  const dataBytes = fileBytes - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new FileFormatError(file, '__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new FileFormatError(file, `__metadata__ key '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const bad = (problem: string) => new FileFormatError(file, `tensor '${name}': ${problem}`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('entry is not an object');
    const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in ITEM_BYTES))
      throw bad(`unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(ITEM_BYTES).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0))
      throw bad(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw bad(`data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataBytes)
      throw bad(`data_offsets [${begin}, ${end}] run past the ${dataBytes}-byte data region (file truncated?)`);
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const want = numel * ITEM_BYTES[dtype as SafetensorsDType];
    if (end - begin !== want)
      throw bad(`${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${want}`);
    entries.push({ name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end });
  }
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let last: SafetensorsEntry | undefined;
  for (const e of byOffset) {
    if (e.begin < pos)
      throw new FileFormatError(file, `tensor '${e.name}': bytes [${e.begin}, ${e.end}) overlap tensor '${last!.name}' [${last!.begin}, ${last!.end})`);
    if (e.begin > pos) throw new FileFormatError(file, `tensor '${e.name}': data region bytes [${pos}, ${e.begin}) belong to no tensor`);
    pos = e.end;
    last = e;
  }
  if (pos !== dataBytes)
    throw new FileFormatError(file, `the data region has ${dataBytes - pos} trailing bytes after the last tensor (size does not match header)`);
  return { file, fileBytes, dataStart, entries, metadata };
}

/** Reads and validates the header only (cheap: used by the checker and to plan sharded loads). */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = openForRead(file);
  try {
    return parseHeaderFromFd(fd, file);
  } finally {
    closeSync(fd);
  }
}

export interface ReadOptions {
  /** Load only these tensors (default: all). A name not in the file is an error naming it. */
  names?: Iterable<string>;
}

/** Reads tensors as float32 (F16/BF16 widened). */
export function readSafetensors(file: string, opts: ReadOptions = {}): SafetensorsContents {
  const fd = openForRead(file);
  try {
    const header = parseHeaderFromFd(fd, file);
    const byName = new Map(header.entries.map((e) => [e.name, e]));
    let wanted = header.entries;
    if (opts.names) {
      wanted = [];
      for (const n of opts.names) {
        const e = byName.get(n);
        if (!e) throw new FileFormatError(file, `has no tensor '${n}'`);
        wanted.push(e);
      }
    }
    const tensors = new Map<string, HostTensor>();
    for (const e of wanted) tensors.set(e.name, readEntry(fd, header, e));
    return { tensors, metadata: header.metadata };
  } finally {
    closeSync(fd);
  }
}

function readEntry(fd: number, h: SafetensorsHeader, e: SafetensorsEntry): HostTensor {
  if (!FLOAT_DTYPES.includes(e.dtype))
    throw new FileFormatError(h.file, `tensor '${e.name}': dtype ${e.dtype} cannot be a weight (expected F32, F16 or BF16)`);
  const bytes = e.end - e.begin;
  if (e.dtype === 'F32') {
    // Read straight into the Float32Array's buffer: no copy, and aligned whatever the file offset is.
    const data = new Float32Array(bytes / 4);
    readExactly(fd, h.file, new Uint8Array(data.buffer), h.dataStart + e.begin, `tensor '${e.name}'`);
    return { shape: [...e.shape], data };
  }
  const raw = new Uint8Array(bytes);
  readExactly(fd, h.file, raw, h.dataStart + e.begin, `tensor '${e.name}'`);
  return { shape: [...e.shape], data: widenHalf(raw, e.dtype === 'F16' ? 'f16' : 'bf16') };
}

export interface WriteOptions {
  /** Storage dtype for every tensor (default F32). F16/BF16 round to nearest even. */
  dtype?: 'F32' | 'F16' | 'BF16';
}

/**
 * Writes tensors deterministically (names sorted, offsets in that order, `__metadata__` first, header padded
 * with spaces so the data region starts 8-byte aligned) and atomically (temp file + fsync + rename).
 */
export function writeSafetensors(
  file: string,
  tensors: Map<string, HostTensor>,
  metadata?: Record<string, string>,
  opts: WriteOptions = {},
): void {
  const chunks = encodeSafetensors(tensors, metadata, opts);
  writeFileAtomic(file, chunks);
}

/** The bytes of a safetensors file, as chunks (header, then each tensor's data). */
export function encodeSafetensors(
  tensors: Map<string, HostTensor>,
  metadata?: Record<string, string>,
  opts: WriteOptions = {},
): Uint8Array[] {
  const dtype = opts.dtype ?? 'F32';
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    const meta: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort()) {
      if (typeof metadata[k] !== 'string') throw new TypeError(`writeSafetensors: metadata '${k}' must be a string`);
      meta[k] = metadata[k];
    }
    header.__metadata__ = meta;
  }
  const data: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new TypeError("writeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    const t = tensors.get(name)!;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || numel !== t.data.length)
      throw new TypeError(`writeSafetensors: tensor '${name}' has ${t.data.length} values but shape [${t.shape.join(', ')}]`);
    const bytes =
      dtype === 'F32'
        ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)
        : narrowHalf(t.data, dtype === 'F16' ? 'f16' : 'bf16');
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    data.push(bytes);
    offset += bytes.length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return [len, json, ...data];
}
