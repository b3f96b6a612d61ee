/**
 * A small GGUF writer for tests (the loader has no writer of its own: mohawk only reads GGUF). It follows
 * ggml/docs/gguf.md: typed metadata, tensor infos with dims innermost-first, aligned data offsets.
 */
import { writeFileSync } from 'node:fs';
import { f32ToF16 } from '../../../runtime/io/half.ts';
import { GgufType, type GgufTypeCode } from '../../../runtime/io/gguf.ts';

export type KvSpec =
  | { type: Exclude<GgufTypeCode, 9>; value: number | bigint | boolean | string }
  | { type: 9; elementType: GgufTypeCode; value: unknown[]; nested?: KvSpec[] };

export interface TensorSpec {
  name: string;
  /** Row-major shape (outermost first); written reversed as GGUF dims. */
  shape: number[];
  data: Float32Array;
  /** 0 = F32, 1 = F16, or any other ggml type code with raw bytes in `raw`. */
  type?: number;
  raw?: Uint8Array;
}

class Out {
  parts: Buffer[] = [];
  size = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
}

function writeScalar(o: Out, type: number, v: unknown): void {
  const b8 = Buffer.alloc(8);
  switch (type) {
    case GgufType.UINT8: return o.push(Buffer.from([v as number]));
    case GgufType.INT8: b8.writeInt8(v as number); return o.push(b8.subarray(0, 1));
    case GgufType.UINT16: b8.writeUInt16LE(v as number); return o.push(b8.subarray(0, 2));
    case GgufType.INT16: b8.writeInt16LE(v as number); return o.push(b8.subarray(0, 2));
    case GgufType.UINT32: return o.u32(v as number);
    case GgufType.INT32: b8.writeInt32LE(v as number); return o.push(b8.subarray(0, 4));
    case GgufType.FLOAT32: b8.writeFloatLE(v as number); return o.push(b8.subarray(0, 4));
    case GgufType.BOOL: return o.push(Buffer.from([v ? 1 : 0]));
    case GgufType.STRING: return o.str(v as string);
    case GgufType.UINT64: return o.u64(v as bigint);
    case GgufType.INT64: b8.writeBigInt64LE(BigInt(v as bigint)); return o.push(b8);
    case GgufType.FLOAT64: b8.writeDoubleLE(v as number); return o.push(b8);
    default: throw new Error(`writer: bad scalar type ${type}`);
  }
}

function writeKvValue(o: Out, spec: KvSpec): void {
  if (spec.type === GgufType.ARRAY) {
    o.u32(spec.elementType);
    o.u64(spec.value.length);
    spec.value.forEach((v, i) => {
      if (spec.elementType === GgufType.ARRAY) writeKvValue(o, spec.nested![i]);
      else writeScalar(o, spec.elementType, v);
    });
  } else {
    writeScalar(o, spec.type, spec.value);
  }
}

export function tensorBytes(t: TensorSpec): Buffer {
  if (t.raw) return Buffer.from(t.raw);
  if ((t.type ?? 0) === 1) {
    const b = Buffer.alloc(t.data.length * 2);
    t.data.forEach((x, i) => b.writeUInt16LE(f32ToF16(x), 2 * i));
    return b;
  }
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

export function encodeGguf(kv: [string, KvSpec][], tensors: TensorSpec[], opts: { version?: number; alignment?: number } = {}): Buffer {
  const alignment = opts.alignment ?? 32;
  const o = new Out();
  o.push(Buffer.from('GGUF', 'latin1'));
  o.u32(opts.version ?? 3);
  o.u64(tensors.length);
  o.u64(kv.length);
  for (const [key, spec] of kv) {
    o.str(key);
    o.u32(spec.type);
    writeKvValue(o, spec);
  }
  const blobs = tensors.map(tensorBytes);
  let offset = 0;
  const offsets: number[] = [];
  for (const b of blobs) {
    offsets.push(offset);
    offset = Math.ceil((offset + b.length) / alignment) * alignment;
  }
  tensors.forEach((t, i) => {
    o.str(t.name);
    o.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) o.u64(d);
    o.u32(t.type ?? 0);
    o.u64(offsets[i]);
  });
  const pad = (n: number) => Buffer.alloc((alignment - (n % alignment)) % alignment);
  o.push(pad(o.size));
  blobs.forEach((b, i) => {
    o.push(b);
    if (i < blobs.length - 1) o.push(pad(b.length));
  });
  return Buffer.concat(o.parts);
}

export function writeGguf(file: string, kv: [string, KvSpec][], tensors: TensorSpec[], opts: { version?: number; alignment?: number } = {}): void {
  writeFileSync(file, encodeGguf(kv, tensors, opts));
}
