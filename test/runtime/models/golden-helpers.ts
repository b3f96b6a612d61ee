/** Readers for the reference outputs in ../shared/golden (raw float32 little-endian, C order). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GOLDEN_DIR } from '../../helpers/paths.ts';

export function readF32(file: string): Float32Array {
  const b = readFileSync(resolve(GOLDEN_DIR, file));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface PosGolden {
  tokensFed: number[];
  logits: Float32Array; // [32, 512]
  attention: Float32Array; // [5, 8, 32, 32]
  hidden: Float32Array; // [7, 32, 64]
}

export function loadPos32(): PosGolden {
  const meta = JSON.parse(readFileSync(resolve(GOLDEN_DIR, 'once_upon_a_time_pos32.json'), 'utf8'));
  return {
    tokensFed: meta.tokens_fed,
    logits: readF32('once_upon_a_time_pos32_logits.f32'),
    attention: readF32('once_upon_a_time_pos32_attention.f32'),
    hidden: readF32('once_upon_a_time_pos32_hidden.f32'),
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** max |a − ref| / max |ref| (the golden README's "relative"). */
export function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let r = 0;
  for (let i = 0; i < ref.length; i++) r = Math.max(r, Math.abs(ref[i]));
  return maxAbsDiff(a, ref) / r;
}
