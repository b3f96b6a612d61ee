/** Reader for /work/shared/golden/discrete_mamba2_ref (float64 outputs of phi-mamba's reference). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GOLDEN_DIR } from '../../helpers/paths.ts';

export const REF_DIR = resolve(GOLDEN_DIR, 'discrete_mamba2_ref');

interface Manifest {
  cases: Record<string, { function: string; block_len?: number; tensors: Record<string, { file: string; shape: number[]; sha256: string }> }>;
}

export interface GoldenTensor {
  shape: number[];
  data: Float64Array;
}

export interface GoldenCase {
  name: string;
  blockLen?: number;
  t: Record<string, GoldenTensor>;
}

/** Loads a case, checking every file's sha256 and size against the manifest. */
export function loadGoldenCase(name: string): GoldenCase {
  const manifest = JSON.parse(readFileSync(resolve(REF_DIR, 'discrete_mamba2_ref.json'), 'utf8')) as Manifest;
  const c = manifest.cases[name];
  if (!c) throw new Error(`golden case ${name} not in the manifest`);
  const t: Record<string, GoldenTensor> = {};
  for (const [key, meta] of Object.entries(c.tensors)) {
    const buf = readFileSync(resolve(REF_DIR, meta.file));
    const sha = createHash('sha256').update(buf).digest('hex');
    if (sha !== meta.sha256) throw new Error(`${meta.file}: sha256 ${sha} differs from the manifest`);
    const count = meta.shape.reduce((a, b) => a * b, 1);
    if (buf.length !== count * 8) throw new Error(`${meta.file}: ${buf.length} bytes for shape [${meta.shape}]`);
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = buf.readDoubleLE(i * 8);
    t[key] = { shape: meta.shape, data };
  }
  return { name, blockLen: c.block_len, t };
}
