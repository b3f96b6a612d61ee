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
