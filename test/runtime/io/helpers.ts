/** Shared helpers for the io tests: temp folders, seeded random tensors, and hand-built corrupt files. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { Rng } from '../../../runtime/train/rng.ts';
import type { HostTensor } from '../../../runtime/io/types.ts';

/** A temp folder removed after the test file finishes. */
export function tempDir(prefix = 'mohawk-io-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function randomTensor(rng: Rng, shape: number[], scale = 1): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rng.float() * 2 - 1) * scale;
  return { shape, data };
}

/** A safetensors file from a raw header object and raw data bytes, for corruption tests. */
export function writeRawSafetensors(file: string, header: unknown, data: Uint8Array, headerText?: string): void {
  const json = Buffer.from(headerText ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([len, json, data]));
}

export function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Calls fn and returns the FileFormatError it throws (failing the test if it throws anything else or nothing). */
export function formatError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    if ((e as Error).name === 'FileFormatError') return e as Error;
    throw new Error(`expected a FileFormatError, got ${(e as Error).name}: ${(e as Error).message}`);
  }
  throw new Error('expected a FileFormatError, but nothing was thrown');
}

/** Undoes HF's rotate-half q/k row permutation (convert_llama_weights_to_hf.py `permute`), written here
 *  independently of the loaders: HF row h·hd + p·hd/2 + i holds the original (adjacent-pair) row h·hd + 2i + p. */
export function unpermuteRotateHalf(w: HostTensor, heads: number): HostTensor {
  const [rows, cols] = w.shape;
  const hd = rows / heads;
  const out = new Float32Array(rows * cols);
  for (let h = 0; h < heads; h++)
    for (let p = 0; p < 2; p++)
      for (let i = 0; i < hd / 2; i++) {
        const src = h * hd + p * (hd / 2) + i;
        const dst = h * hd + 2 * i + p;
        out.set(w.data.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
  return { shape: [rows, cols], data: out };
}

export function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
