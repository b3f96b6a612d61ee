/**
 * Random inputs for a kernel variant (fresh per seed; never zeros), conversion to the kernels' host arrays,
 * and the tolerance per dtype.
 */
import { makeRng, randn } from '../../helpers/reference/random.ts';
import type { KernelEntry } from '../../../runtime/kernels/table.ts';
import { fromBf16, fromF16, toBf16, toF16 } from '../../../runtime/kernels/half.ts';
import type { RawInputs } from '../reference.ts';

export const TOLERANCE: Record<string, number> = { f32: 1e-5, f16: 1e-2, bf16: 1e-2 };

/** Round to the storage dtype so the float64 reference sees exactly what the kernel reads. */
export function roundTo(dtype: string, a: Float64Array): Float64Array {
  if (dtype === 'f32') return Float64Array.from(Float32Array.from(a));
  if (dtype === 'f16') return Float64Array.from(fromF16(toF16(a)));
  if (dtype === 'bf16') return Float64Array.from(fromBf16(toBf16(a)));
  throw new Error(`no host rounding for ${dtype}`);
}

export function hostArray(dtype: string, a: Float64Array): Float32Array | Uint16Array {
  return dtype === 'f16' ? toF16(a) : dtype === 'bf16' ? toBf16(a) : Float32Array.from(a);
}

/** Host array → float64; 16-bit arrays hold raw bits of the variant's dtype (f16 or bf16). */
export function toF64(a: Float32Array | Uint16Array, dtype = 'f16'): Float64Array {
  if (a instanceof Float32Array) return Float64Array.from(a);
  return Float64Array.from(dtype === 'bf16' ? fromBf16(a) : fromF16(a));
}

export function randomInputs(e: KernelEntry, b: number, t: number, seed: number, withS0: boolean): RawInputs {
  const rng = makeRng(seed);
  const { h, p, g, n } = e;
  const io = (a: Float64Array) => roundTo(e.dtype, a);
  const f32 = (a: Float64Array) => roundTo('f32', a);
  const hp = new Float64Array(3 * h);
  for (let i = 0; i < h; i++) {
    hp[i] = rng.normal(); // D
    hp[h + i] = rng.uniform() * 2 - 1; // dt_bias
    hp[2 * h + i] = rng.uniform() * 1.5 - 1; // A_log
  }
  return {
    decay: e.decay,
    b, t, h, p, g, n,
    x: io(randn(rng, b * t * h * p)),
    dec: f32(randn(rng, b * t * h)),
    B: io(randn(rng, b * t * g * n, 1 / Math.sqrt(n))),
    C: io(randn(rng, b * t * g * n, 1 / Math.sqrt(n))),
    hp: f32(hp),
    s0: withS0 ? f32(randn(rng, b * h * p * n, 0.5)) : undefined,
  };
}
